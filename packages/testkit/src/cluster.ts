// The test kit: a real etcd and any set of DML nodes as child processes on free loopback ports,
// with the ability to kill -9, SIGSTOP and SIGCONT any of them. Every test gets its own etcd and
// temp dir, so tests share nothing; logs stay in the temp dir for post-mortems.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { findFreePort, spawnNode, startEtcd, stopNodeProcess, type EtcdProcess, type NodeProcess } from "@dml/cli";
import { createEtcdClient, KEYS, readLeadership, type Leadership, type Role } from "@dml/runtime";
import type { Etcd3 } from "etcd3";

export interface TestNode extends NodeProcess {
  address: string;
  /** Gateways: base URL of the REST API. */
  http?: string;
  pid: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  /** Graceful stop (SIGTERM) and wait for exit. */
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  id?: string;
  env?: Record<string, string>;
  args?: string[];
}

export interface ClusterSpec {
  schedulers?: number;
  trainers?: number;
  stores?: number;
  gateways?: number;
  leaseTtl?: number;
  env?: Record<string, string>;
}

// Children of every cluster in this process, killed if the test process exits without stop().
const liveChildren = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of liveChildren) {
    try {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

export class TestCluster {
  readonly nodes = new Map<string, TestNode>();
  private readonly counters = new Map<Role, number>();
  private clients: Etcd3[] = [];

  private constructor(
    readonly dir: string,
    readonly etcd: EtcdProcess,
    private readonly spec: ClusterSpec,
  ) {}

  static async start(spec: ClusterSpec = {}): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), "dml-test-"));
    const [clientPort, peerPort] = [await findFreePort(), await findFreePort()];
    const etcd = await startEtcd({ dataDir: join(dir, "etcd"), clientPort, peerPort, logFile: join(dir, "etcd.log") });
    liveChildren.add(etcd.proc);
    const cluster = new TestCluster(dir, etcd, spec);
    try {
      const starts: Promise<TestNode>[] = [];
      for (const role of ["store", "scheduler", "trainer"] as const) {
        const count = spec[`${role}s`] ?? 0;
        for (let i = 0; i < count; i++) starts.push(cluster.startNode(role));
      }
      await Promise.all(starts);
      for (let i = 0; i < (spec.gateways ?? 0); i++) await cluster.startNode("gateway");
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get etcdEndpoint(): string {
    return this.etcd.endpoint;
  }

  /** A test-side etcd client, closed by stop(). */
  client(): Etcd3 {
    const c = createEtcdClient([this.etcd.endpoint]);
    this.clients.push(c);
    return c;
  }

  /** Spawns a node and waits for its ready line. */
  async startNode(role: Role, opts: StartNodeOptions = {}): Promise<TestNode> {
    const n = (this.counters.get(role) ?? 0) + 1;
    this.counters.set(role, n);
    const id = opts.id ?? `${role}-${n}`;
    const env: Record<string, string> = {
      DML_ETCD: this.etcd.endpoint,
      DML_LISTEN: "127.0.0.1:0",
      DML_LEASE_TTL: String(this.spec.leaseTtl ?? 3),
      LOG_LEVEL: "debug",
      ...(role === "store" && { DML_DATA_DIR: join(this.dir, "data", id) }),
      ...(role === "gateway" && { DML_HTTP_LISTEN: "127.0.0.1:0" }),
      ...this.spec.env,
      ...opts.env,
    };
    const proc = spawnNode({ id, role, env, args: opts.args, logFile: join(this.dir, `${id}.log`) });
    liveChildren.add(proc.proc);
    void proc.exited.then(() => liveChildren.delete(proc.proc));
    const ready = await proc.ready;
    const node: TestNode = Object.assign(proc, {
      address: ready.address,
      ...(ready.http !== undefined && { http: ready.http }),
      pid: proc.proc.pid!,
      kill: async (signal: NodeJS.Signals = "SIGKILL") => {
        proc.proc.kill(signal);
        await proc.exited;
      },
      pause: () => void proc.proc.kill("SIGSTOP"),
      resume: () => void proc.proc.kill("SIGCONT"),
      stop: () => stopNodeProcess(proc),
    });
    this.nodes.set(id, node);
    return node;
  }

  node(id: string): TestNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id} in this cluster (have: ${[...this.nodes.keys()].join(", ")})`);
    return node;
  }

  byRole(role: Role): TestNode[] {
    return [...this.nodes.values()].filter((n) => n.role === role);
  }

  /** The first gateway's REST base URL. */
  get httpUrl(): string {
    const gw = this.byRole("gateway")[0];
    if (!gw?.http) throw new Error("this cluster has no gateway");
    return gw.http;
  }

  async leadership(client: Etcd3): Promise<Leadership | undefined> {
    return readLeadership(client, KEYS.schedulerElectionPrefix);
  }

  /** Stops every node (SIGCONT first, for paused ones), then etcd; removes the temp dir unless kept. */
  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    for (const c of this.clients) c.close();
    this.clients = [];
    await Promise.all([...this.nodes.values()].map((n) => stopNodeProcess(n, 5_000)));
    await this.etcd.stop();
    liveChildren.delete(this.etcd.proc);
    if (!opts.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
