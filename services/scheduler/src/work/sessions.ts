// Trainers connected to this leader over ConnectWork: where to send assignments and
// cancellations, and how many slots each offers.
import { AsyncQueue } from "@dml/runtime";
import type { workV1 } from "@dml/proto";

export class TrainerSession {
  readonly outgoing = new AsyncQueue<workV1.ConnectWorkResponse>();
  /** Attempts this leader told the trainer to stop, so a cancellation is sent once. */
  readonly cancelled = new Set<string>();
  /** When the trainer last reported which attempts it runs. */
  lastReportAt = Date.now();
  /** (taskId@attempt) the trainer reported running in its last heartbeat. */
  reported = new Set<string>();

  constructor(
    readonly nodeId: string,
    readonly address: string,
    readonly slots: number,
  ) {}

  send(message: workV1.ConnectWorkResponse["message"]): boolean {
    return this.outgoing.push({ message });
  }

  cancel(taskId: string, attempt: number, reason: string): void {
    const key = `${taskId}@${attempt}`;
    if (this.cancelled.has(key)) return;
    if (this.send({ $case: "cancellation", cancellation: { taskId, attempt, reason } })) this.cancelled.add(key);
  }

  close(err?: unknown): void {
    this.outgoing.close(err);
  }
}

export class TrainerSessions {
  private readonly byNode = new Map<string, TrainerSession>();

  /** Registers a session; an older one of the same trainer is closed. */
  add(session: TrainerSession): void {
    this.byNode.get(session.nodeId)?.close();
    this.byNode.set(session.nodeId, session);
  }

  remove(session: TrainerSession): void {
    if (this.byNode.get(session.nodeId) === session) this.byNode.delete(session.nodeId);
  }

  get(nodeId: string): TrainerSession | undefined {
    return this.byNode.get(nodeId);
  }

  all(): TrainerSession[] {
    return [...this.byNode.values()].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  closeAll(err?: unknown): void {
    for (const s of this.byNode.values()) s.close(err);
    this.byNode.clear();
  }
}
