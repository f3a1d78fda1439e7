export * from "./launcher/index.js";
export { DEFAULT_LAYOUT } from "./cluster-layout.js";
export { UP_DEFAULTS } from "./commands/up.js";
export { readSse, SseParser, type SseEvent } from "./sse.js";
export { formatLeaderboard, type Training, type TrainingModel } from "./training-view.js";
