export { startScheduler, type RunningScheduler } from "./scheduler.js";
export { loadSchedulerConfig, schedulerOptions, type SchedulerConfig } from "./config.js";
export type { LeaderState } from "./leader-loop.js";
