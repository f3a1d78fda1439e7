// `dml up` (what `npm start` runs) as a user runs it: a whole cluster of real processes, the
// URLs printed, a second launcher refused, Ctrl-C (SIGINT) stopping everything with no orphans,
// and a killed launcher taking its nodes with it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LAYOUT, findFreePort, isPortFree, REPO_ROOT } from "@dml/cli";
import { waitFor } from "@dml/testkit";
import { isProcessAlive } from "@dml/runtime";

const CLI = join(REPO_ROOT, "packages", "cli", "dist", "main.js");

interface Launcher {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function launch(args: string[]): Launcher {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

async function freeEtcdPort(): Promise<number> {
  for (;;) {
    const port = await findFreePort();
    if (port < 65535 && (await isPortFree(port + 1))) return port;
  }
}

let stateDir: string;
let args: string[];
let httpUrl: string;
const launchers: Launcher[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "dml-up-"));
  const [http, grpc, etcd] = [await findFreePort(), await findFreePort(), await freeEtcdPort()];
  httpUrl = `http://127.0.0.1:${http}`;
  args = ["up", "--state-dir", stateDir, "--http-port", String(http), "--grpc-port", String(grpc), "--etcd-port", String(etcd)];
});

afterAll(async () => {
  for (const l of launchers) if (l.proc.exitCode === null) l.proc.kill("SIGKILL");
  // Anything left behind is found by the assertions; clean up regardless.
  try {
    const etcdPid = Number(readFileSync(join(stateDir, "etcd.pid"), "utf8"));
    if (etcdPid > 0 && isProcessAlive(etcdPid)) process.kill(etcdPid, "SIGKILL");
  } catch {
    // no etcd pid file: nothing to clean
  }
  rmSync(stateDir, { recursive: true, force: true });
});

async function startLauncher(): Promise<{ launcher: Launcher; pids: number[] }> {
  const launcher = launch(args);
  launchers.push(launcher);
  await waitFor(() => launcher.output().includes("Press Ctrl-C to stop.") || launcher.proc.exitCode !== null, {
    timeoutMs: 60_000,
    message: "dml up prints that the cluster is up",
  });
  expect(launcher.proc.exitCode, launcher.output()).toBeNull();
  const res = await fetch(`${httpUrl}/v1/cluster`);
  const body = (await res.json()) as { nodes: Array<{ role: string; pid?: number }> };
  const pids = body.nodes.filter((n) => n.pid).map((n) => n.pid!);
  pids.push(Number(readFileSync(join(stateDir, "etcd.pid"), "utf8")));
  return { launcher, pids };
}

describe("dml up", () => {
  let first: { launcher: Launcher; pids: number[] };

  it("starts etcd + 2 schedulers + 2 trainers + 3 stores + 1 gateway and prints the URLs and logs", async () => {
    first = await startLauncher();
    const out = first.launcher.output();
    expect(out).toContain(`REST API    ${httpUrl}`);
    expect(out).toContain("gRPC API");
    expect(out).toContain(join(stateDir, "logs"));
    const body = await waitFor(
      async () => {
        const b = (await (await fetch(`${httpUrl}/v1/cluster`)).json()) as { leader: string | null; nodes: Array<{ role: string }> };
        return b.leader ? b : undefined;
      },
      { timeoutMs: 10_000, message: "a leader in /v1/cluster" },
    );
    const count = (role: string) => body.nodes.filter((n) => n.role === role).length;
    expect(body.nodes).toHaveLength(9);
    expect([count("etcd"), count("scheduler"), count("trainer"), count("store"), count("gateway")]).toEqual([
      1,
      DEFAULT_LAYOUT.schedulers,
      DEFAULT_LAYOUT.trainers,
      DEFAULT_LAYOUT.stores,
      DEFAULT_LAYOUT.gateways,
    ]);
    expect(first.pids).toHaveLength(9);
    for (const pid of first.pids) expect(isProcessAlive(pid)).toBe(true);
  });

  it("refuses a second launcher on the same state dir, saying so clearly", async () => {
    const second = launch(args);
    launchers.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain("already running");
    expect(second.output()).toContain(String(first.launcher.proc.pid));
    // The first cluster is untouched.
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
  });

  it("stops every process on SIGINT (Ctrl-C), leaving no orphans", async () => {
    first.launcher.proc.kill("SIGINT");
    expect(await first.launcher.exited).toBe(0);
    for (const pid of first.pids) expect(isProcessAlive(pid), `pid ${pid} still running`).toBe(false);
    expect(first.launcher.output()).toContain("stopped.");
  });

  it("takes its nodes down with it when the launcher is killed, and starts again over the leftovers", async () => {
    const second = await startLauncher();
    second.launcher.proc.kill("SIGKILL");
    await second.launcher.exited;
    const nodePids = second.pids.slice(0, -1); // the last one is etcd's
    await waitFor(() => nodePids.every((pid) => !isProcessAlive(pid)), {
      timeoutMs: 15_000,
      message: "every node exits when its launcher dies",
    });
    // etcd cannot watch its parent; the next launcher stops the one left behind.
    const third = await startLauncher();
    expect(third.launcher.output()).toContain("left running by an earlier launcher");
    third.launcher.proc.kill("SIGINT");
    expect(await third.launcher.exited).toBe(0);
    for (const pid of [...second.pids, ...third.pids]) expect(isProcessAlive(pid), `pid ${pid} still running`).toBe(false);
  });
});
