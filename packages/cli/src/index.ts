export * from "./launcher/index.js";
export { DEFAULT_LAYOUT } from "./cluster-layout.js";
export { UP_DEFAULTS } from "./commands/up.js";
