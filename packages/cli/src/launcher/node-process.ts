// Spawns one DML node (scheduler, trainer, store, gateway) as a child process and waits for its
// `ready` log line, which carries the bound address. Used by `dml up` and by the test kit.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Role } from "@dml/runtime";
import { roleEntryPoint } from "./paths.js";

export interface ReadyInfo {
  address: string;
  http?: string;
  [key: string]: unknown;
}

export interface NodeProcess {
  id: string;
  role: Role;
  proc: ChildProcess;
  /** Every stdout/stderr line so far (JSON log lines and anything else). */
  lines: string[];
  ready: Promise<ReadyInfo>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first line (parsed JSON when it is) matching `pred`, past or future. */
  waitForLine(pred: (entry: Record<string, unknown>, raw: string) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export interface SpawnNodeOptions {
  id: string;
  role: Role;
  env: Record<string, string>;
  args?: string[];
  logFile?: string;
  readyTimeoutMs?: number;
  /** Own process group: a terminal Ctrl-C then reaches only the launcher, which stops nodes in order. */
  detached?: boolean;
  /** Node exits when its stdin closes, i.e. when the launcher dies (no orphans after a kill -9). */
  exitWithParent?: boolean;
}

function parse(raw: string): Record<string, unknown> {
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : { raw };
  } catch {
    return { raw };
  }
}

export function spawnNode(opts: SpawnNodeOptions): NodeProcess {
  const proc = spawn(process.execPath, [roleEntryPoint(opts.role), ...(opts.args ?? [])], {
    env: {
      ...process.env,
      DML_NODE_ID: opts.id,
      ...(opts.exitWithParent && { DML_EXIT_WITH_PARENT: "1" }),
      ...opts.env,
    },
    stdio: [opts.exitWithParent ? "pipe" : "ignore", "pipe", "pipe"],
    detached: opts.detached ?? false,
  });
  const lines: string[] = [];
  const waiters: Array<{ pred: (e: Record<string, unknown>, raw: string) => boolean; resolve: (e: Record<string, unknown>) => void }> = [];
  let log: WriteStream | undefined;
  if (opts.logFile) {
    log = createWriteStream(opts.logFile, { flags: "a" });
    // A log file that cannot be opened (its directory removed by a test's cleanup) must not take
    // the launcher down: the lines are still kept in memory.
    log.on("error", () => {
      log = undefined;
    });
  }
  const onLine = (raw: string) => {
    lines.push(raw);
    log?.write(raw + "\n");
    const entry = parse(raw);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.pred(entry, raw)) {
        waiters[i]!.resolve(entry);
        waiters.splice(i, 1);
      }
    }
  };
  createInterface({ input: proc.stdout! }).on("line", onLine);
  createInterface({ input: proc.stderr! }).on("line", onLine);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => {
      // Let readline flush the last lines before anyone looks at them.
      setImmediate(() => {
        log?.end();
        resolve({ code, signal });
      });
    }),
  );
  const waitForLine: NodeProcess["waitForLine"] = (pred, timeoutMs = 30_000) => {
    for (const raw of lines) {
      const entry = parse(raw);
      if (pred(entry, raw)) return Promise.resolve(entry);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`${opts.id}: no matching log line within ${timeoutMs} ms; last lines:\n${lines.slice(-10).join("\n")}`));
      }, timeoutMs);
      const waiter = {
        pred,
        resolve: (e: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      waiters.push(waiter);
    });
  };
  const ready = Promise.race([
    waitForLine((e) => e["msg"] === "ready", opts.readyTimeoutMs ?? 30_000).then((e) => e as unknown as ReadyInfo),
    exited.then(({ code, signal }) => {
      throw new Error(`${opts.id} (${opts.role}) exited (code ${code}, signal ${signal}) before it was ready:\n${lines.slice(-15).join("\n")}`);
    }),
  ]);
  ready.catch(() => undefined); // callers that never await `ready` must not see an unhandled rejection
  return { id: opts.id, role: opts.role, proc, lines, ready, exited, waitForLine };
}

/** SIGTERM (after SIGCONT, in case it is paused), then SIGKILL after `graceMs`. */
export async function stopNodeProcess(node: NodeProcess, graceMs = 10_000): Promise<void> {
  const { proc } = node;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGCONT");
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  await node.exited;
  clearTimeout(timer);
}
