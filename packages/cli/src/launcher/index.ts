export * from "./paths.js";
export * from "./ports.js";
export * from "./etcd-process.js";
export * from "./node-process.js";
