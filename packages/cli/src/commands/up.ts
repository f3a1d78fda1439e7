// `dml up`: a whole local cluster on loopback, each role a real child process:
// etcd, then stores + schedulers + trainers, then the gateway. Ctrl-C stops them in reverse
// order (gateway first, etcd last). The children run in their own process group, so the
// terminal's SIGINT reaches only this launcher, and they exit by themselves if it dies.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isProcessAlive, type Role } from "@dml/runtime";
import { DEFAULT_LAYOUT } from "../cluster-layout.js";
import { intFlag, parseArgs, rejectUnknownFlags, stringFlag, UsageError } from "../args.js";
import { isPortFree } from "../launcher/ports.js";
import { startEtcd, type EtcdProcess } from "../launcher/etcd-process.js";
import { spawnNode, stopNodeProcess, type NodeProcess } from "../launcher/node-process.js";
import { importCsvDir } from "./import-dir.js";

export interface UpOptions {
  schedulers: number;
  trainers: number;
  stores: number;
  httpPort: number;
  grpcPort: number;
  etcdPort: number;
  stateDir: string;
  leaseTtl: number;
  /** Upload every CSV in this directory once the cluster is up. */
  importDir?: string;
}

export const UP_DEFAULTS = {
  httpPort: 8080,
  grpcPort: 8081,
  etcdPort: 23790,
  stateDir: ".dml",
  leaseTtl: 3,
} as const;

const HOST = "127.0.0.1";
const say = (line: string) => process.stdout.write(line + "\n");

function parseUpOptions(argv: string[]): UpOptions {
  const args = parseArgs(argv);
  rejectUnknownFlags(args, ["schedulers", "trainers", "stores", "http-port", "grpc-port", "etcd-port", "state-dir", "lease-ttl", "import"]);
  const importDir = stringFlag(args, "import");
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  return {
    schedulers: intFlag(args, "schedulers", DEFAULT_LAYOUT.schedulers, 1, 16),
    trainers: intFlag(args, "trainers", DEFAULT_LAYOUT.trainers, 1, 64),
    stores: intFlag(args, "stores", DEFAULT_LAYOUT.stores, 1, 64),
    httpPort: intFlag(args, "http-port", UP_DEFAULTS.httpPort, 0, 65535),
    grpcPort: intFlag(args, "grpc-port", UP_DEFAULTS.grpcPort, 0, 65535),
    etcdPort: intFlag(args, "etcd-port", UP_DEFAULTS.etcdPort, 1, 65534),
    stateDir: resolve(stringFlag(args, "state-dir") ?? UP_DEFAULTS.stateDir),
    leaseTtl: intFlag(args, "lease-ttl", UP_DEFAULTS.leaseTtl, 1, 60),
    ...(importDir !== undefined && { importDir: resolve(importDir) }),
  };
}

interface LockInfo {
  pid: number;
  http?: string;
  startedAt: string;
}

/** One cluster per state dir: an exclusive lock file holding the launcher's pid. */
function acquireLock(stateDir: string): { release(): void; update(info: Partial<LockInfo>): void } | LockInfo {
  const file = join(stateDir, "up.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      let info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString() };
      writeFileSync(fd, JSON.stringify(info));
      closeSync(fd);
      return {
        release: () => rmSync(file, { force: true }),
        update: (patch) => {
          info = { ...info, ...patch };
          writeFileSync(file, JSON.stringify(info));
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let held: LockInfo | undefined;
      try {
        held = JSON.parse(readFileSync(file, "utf8")) as LockInfo;
      } catch {
        held = undefined;
      }
      if (held && isProcessAlive(held.pid)) return held;
      rmSync(file, { force: true }); // stale: its launcher is gone
    }
  }
  throw new Error(`cannot take the lock ${file}`);
}

/** A launcher that died by kill -9 leaves etcd behind (the nodes exit with it); stop that etcd. */
async function killStaleEtcd(stateDir: string): Promise<void> {
  const file = join(stateDir, "etcd.pid");
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, "utf8"));
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    // not running (or no /proc): nothing to stop
  }
  if (pid > 0 && cmdline.includes("etcd") && cmdline.includes(stateDir)) {
    say(`stopping etcd (pid ${pid}) left running by an earlier launcher`);
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  }
  rmSync(file, { force: true });
}

export async function upCommand(argv: string[]): Promise<number> {
  const opts = parseUpOptions(argv);
  const logsDir = join(opts.stateDir, "logs");
  mkdirSync(logsDir, { recursive: true });

  const lock = acquireLock(opts.stateDir);
  if (!("release" in lock)) {
    process.stderr.write(
      `A DML cluster is already running from ${opts.stateDir} (launcher pid ${lock.pid}${lock.http ? `, gateway ${lock.http}` : ""}).\n` +
        `Stop it with Ctrl-C in its terminal (or \`kill -INT ${lock.pid}\`) before starting another.\n`,
    );
    return 1;
  }

  await killStaleEtcd(opts.stateDir);
  const busy: string[] = [];
  for (const [what, port] of [
    ["gateway HTTP (--http-port)", opts.httpPort],
    ["gateway gRPC (--grpc-port)", opts.grpcPort],
    ["etcd client (--etcd-port)", opts.etcdPort],
    ["etcd peer (--etcd-port + 1)", opts.etcdPort + 1],
  ] as const) {
    if (port !== 0 && !(await isPortFree(port, HOST))) busy.push(`${what}: ${HOST}:${port}`);
  }
  if (busy.length > 0) {
    lock.release();
    process.stderr.write(`Cannot start: these ports are in use (another DML cluster or another program?):\n  ${busy.join("\n  ")}\n`);
    return 1;
  }

  let etcd: EtcdProcess | undefined;
  const nodes: NodeProcess[] = [];
  let shuttingDown = false;

  const shutdown = async () => {
    shuttingDown = true;
    // Reverse dependency order: the door first, the registry last.
    for (const roles of [["gateway"], ["trainer"], ["scheduler"], ["store"]] as Role[][]) {
      await Promise.all(nodes.filter((n) => roles.includes(n.role)).map((n) => stopNodeProcess(n)));
    }
    await etcd?.stop();
    rmSync(join(opts.stateDir, "etcd.pid"), { force: true });
    lock.release();
  };

  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) return;
    stopRequested = true;
    say(`\n${signal}: stopping the cluster...`);
    void shutdown().then(
      () => {
        say("stopped.");
        process.exit(0);
      },
      (err) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    say(`starting etcd on ${HOST}:${opts.etcdPort} ...`);
    etcd = await startEtcd({
      dataDir: join(opts.stateDir, "etcd"),
      clientPort: opts.etcdPort,
      peerPort: opts.etcdPort + 1,
      logFile: join(logsDir, "etcd.log"),
      detached: true,
    });
    writeFileSync(join(opts.stateDir, "etcd.pid"), String(etcd.proc.pid));
    const common = { DML_ETCD: etcd.endpoint, DML_LEASE_TTL: String(opts.leaseTtl) };
    const launch = (role: Role, id: string, env: Record<string, string> = {}) => {
      const node = spawnNode({
        id,
        role,
        env: { ...common, DML_LISTEN: `${HOST}:0`, ...env },
        logFile: join(logsDir, `${id}.log`),
        detached: true,
        exitWithParent: true,
      });
      nodes.push(node);
      void node.exited.then(({ code, signal }) => {
        if (!shuttingDown) process.stderr.write(`node ${id} exited (code ${code}, signal ${signal}); see ${join(logsDir, `${id}.log`)}\n`);
      });
      return node;
    };
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    say(`starting ${opts.stores} stores, ${opts.schedulers} schedulers, ${opts.trainers} trainers ...`);
    const inner = [
      ...range(opts.stores).map((i) => launch("store", `store-${i}`, { DML_DATA_DIR: join(opts.stateDir, "data", `store-${i}`) })),
      ...range(opts.schedulers).map((i) => launch("scheduler", `scheduler-${i}`)),
      ...range(opts.trainers).map((i) => launch("trainer", `trainer-${i}`)),
    ];
    await Promise.all(inner.map((n) => n.ready));
    say("starting the gateway ...");
    const gateway = launch("gateway", "gateway-1", {
      DML_LISTEN: `${HOST}:${opts.grpcPort}`,
      DML_HTTP_LISTEN: `${HOST}:${opts.httpPort}`,
    });
    const gw = await gateway.ready;
    lock.update({ http: gw.http });
    const readies = await Promise.all(nodes.map(async (n) => ({ n, r: await n.ready })));
    say("");
    say(`DML cluster is up: ${nodes.length + 1} processes (etcd + ${nodes.length} nodes)`);
    say(`  REST API    ${gw.http}    (docs ${gw.http}/docs, cluster ${gw.http}/v1/cluster)`);
    say(`  gRPC API    ${gw.address}    (grpcurl -plaintext ${gw.address} list)`);
    say(`  etcd        ${etcd.endpoint}`);
    for (const { n, r } of readies) if (n.role !== "gateway") say(`  ${n.role.padEnd(10)}  ${n.id.padEnd(12)} ${r.address}`);
    say(`  logs        ${logsDir}`);
    if (opts.importDir) await importCsvDir(opts.importDir, { url: gw.http! }, say);
    say("Press Ctrl-C to stop.");
    return await new Promise<number>(() => undefined); // runs until a signal
  } catch (err) {
    process.stderr.write(`Cannot start the cluster: ${(err as Error).message}\nLogs: ${logsDir}\n`);
    await shutdown();
    return 1;
  }
}
