// One pino logger per process; every line carries {service, node}. Components take
// logger.child({component}) below it. JSON to stdout: the cluster launcher and the test kit
// read the `ready` line from there.
import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger } from "pino";

export function createLogger(opts: { service: string; node: string; level?: LogLevel }): Logger {
  return pino({
    level: opts.level ?? "info",
    base: { service: opts.service, node: opts.node },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
