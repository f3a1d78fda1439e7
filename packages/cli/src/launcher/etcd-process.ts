// Runs a single-member etcd server as a child process, for `dml up` and the test kit.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, createWriteStream, mkdirSync } from "node:fs";
import { delimiter, join } from "node:path";

export class EtcdNotFoundError extends Error {
  constructor() {
    super(
      "etcd was not found on PATH. Install it with `sudo apt-get install etcd-server` (Debian/Ubuntu), " +
        "or run `node scripts/ensure-etcd.mjs`, or set DML_ETCD_BIN to an etcd v3.4+ binary.",
    );
  }
}

export function locateEtcd(env: NodeJS.ProcessEnv = process.env): string {
  if (env["DML_ETCD_BIN"]) return env["DML_ETCD_BIN"];
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, "etcd");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new EtcdNotFoundError();
}

export interface EtcdProcess {
  endpoint: string;
  proc: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export async function startEtcd(opts: {
  dataDir: string;
  clientPort: number;
  peerPort: number;
  logFile?: string;
  host?: string;
  timeoutMs?: number;
  /** Own process group, so a terminal's Ctrl-C reaches only the launcher, which stops etcd last. */
  detached?: boolean;
}): Promise<EtcdProcess> {
  const bin = locateEtcd();
  const host = opts.host ?? "127.0.0.1";
  const client = `http://${host}:${opts.clientPort}`;
  const peer = `http://${host}:${opts.peerPort}`;
  mkdirSync(opts.dataDir, { recursive: true });
  const proc = spawn(
    bin,
    [
      "--name", "dml-etcd",
      "--data-dir", opts.dataDir,
      "--listen-client-urls", client,
      "--advertise-client-urls", client,
      "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer,
      "--initial-cluster", `dml-etcd=${peer}`,
      // Task progress writes a revision a second per running task: keep an hour of history (what a
      // reconnecting watcher can resume from) and compact the rest, so the database stays small.
      "--auto-compaction-mode", "periodic",
      "--auto-compaction-retention", "1h",
      "--logger", "zap",
      "--log-level", "warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: opts.detached ?? false },
  );
  if (opts.logFile) {
    const log = createWriteStream(opts.logFile, { flags: "a" });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
  } else {
    proc.stdout!.resume();
    proc.stderr!.resume();
  }
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const stop = async (graceMs = 5_000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGCONT");
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`etcd exited with code ${proc.exitCode} before it was ready${opts.logFile ? ` (see ${opts.logFile})` : ""}`);
    }
    try {
      const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === "true") break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop(0);
      throw new Error(`etcd did not become healthy on ${client} within ${opts.timeoutMs ?? 20_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint: client, proc, stop };
}
