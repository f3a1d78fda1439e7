// The trainer's ConnectWork stream to the scheduler leader: Hello (with what it still runs),
// heartbeats and progress out; assignments and cancellations in. When the stream ends, or the
// leader in etcd is no longer the one it is connected to (a paused old leader cannot end the
// stream itself), it reconnects to whoever leads now.
import { AsyncQueue, DML_VERSION, type Logger } from "@dml/runtime";
import type { workV1 } from "@dml/proto";
import type { LeaderLink } from "./leader-link.js";
import type { TaskRunner } from "./task-runner.js";

export interface WorkLoopDeps {
  nodeId: string;
  address: string;
  slots: number;
  link: LeaderLink;
  runner: () => TaskRunner;
  log: Logger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEADER_CHECK_MS = 1000;

export class WorkLoop {
  private stopped = false;
  private outgoing: AsyncQueue<workV1.ConnectWorkRequest> | undefined;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  connectedTo: string | undefined;

  constructor(private readonly deps: WorkLoopDeps) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    this.outgoing?.close();
    await this.loop;
  }

  sendProgress(p: workV1.TaskProgress): void {
    this.outgoing?.push({ message: { $case: "progress", progress: p } });
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (!this.stopped) {
      try {
        await this.session();
        backoff = 200;
      } catch (err) {
        if (this.stopped) break;
        this.deps.log.debug({ err: (err as Error).message }, "work stream ended");
      }
      if (this.stopped) break;
      await sleep(backoff);
      backoff = Math.min(2000, backoff * 2);
    }
  }

  private async session(): Promise<void> {
    const { link, log } = this.deps;
    const leader = await link.leader();
    const outgoing = new AsyncQueue<workV1.ConnectWorkRequest>();
    const controller = new AbortController();
    this.outgoing = outgoing;
    this.controller = controller;
    const runner = this.deps.runner();
    outgoing.push({
      message: {
        $case: "hello",
        hello: { nodeId: this.deps.nodeId, address: this.deps.address, slots: this.deps.slots, running: runner.running(), version: DML_VERSION },
      },
    });
    let heartbeat: NodeJS.Timeout | undefined;
    // A leader that lost its key (paused, partitioned) may never end our stream: watch etcd instead.
    const leaderCheck = setInterval(() => {
      void link.leader().then(
        (now) => now.id !== leader.id && controller.abort(),
        () => undefined,
      );
    }, LEADER_CHECK_MS);
    try {
      for await (const res of leader.client.connectWork(outgoing, { signal: controller.signal })) {
        const m = res.message;
        if (!m) continue;
        if (m.$case === "welcome") {
          this.connectedTo = leader.id;
          log.info({ leader: leader.id, fencingRevision: m.welcome.fencingRevision }, "connected to the scheduler leader");
          clearInterval(heartbeat);
          heartbeat = setInterval(
            () => outgoing.push({ message: { $case: "heartbeat", heartbeat: { running: runner.running() } } }),
            Math.max(100, m.welcome.heartbeatIntervalMs),
          );
        } else if (m.$case === "assignment") {
          log.info({ task: m.assignment.taskId, attempt: m.assignment.attempt }, "assignment received");
          runner.start(m.assignment);
        } else if (m.$case === "cancellation") {
          runner.cancel(m.cancellation.taskId, m.cancellation.attempt, m.cancellation.reason);
        }
      }
    } finally {
      this.connectedTo = undefined;
      clearInterval(heartbeat);
      clearInterval(leaderCheck);
      outgoing.close();
      if (this.outgoing === outgoing) this.outgoing = undefined;
    }
  }
}
