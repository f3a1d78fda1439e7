// The leader's side of training work: it follows every task (TaskBook), hands queued tasks to
// connected trainers with free slots, takes tasks back from trainers that died, carries out
// cancels, and records progress and completions — each write fenced (TaskWriter).
//
// Passes run on a short timer and at once on any change (a new training, a trainer joining or
// leaving, a completion). Passes never overlap.
import type { Etcd3 } from "etcd3";
import { ServerError, Status } from "nice-grpc";
import { workV1 } from "@dml/proto";
import {
  isTerminal,
  jobKindOf,
  jobSpecKey,
  modelKey,
  type CvMetricJson,
  type JobKind,
  type TaskRecord,
  type TrainingSpec,
} from "@dml/catalog";
import { mergeCvMetrics } from "@dml/ml";
import { DmlError, StaleFenceError, type LeaderElection, type Logger, type NodeDirectory } from "@dml/runtime";
import { TaskBook } from "./task-book.js";
import { TaskWriter } from "./task-writer.js";
import { TrainerSession, TrainerSessions } from "./sessions.js";
import { outcomeOf, predictAssignment, trainAssignment } from "./messages.js";
import { assigned, attemptLost, cancelled, completion, isCurrent, withProgress } from "./transitions.js";

export interface CoordinatorOptions {
  etcd: Etcd3;
  election: LeaderElection;
  directory: NodeDirectory;
  log: Logger;
  /** How often trainers send heartbeats. */
  heartbeatMs?: number;
  /** Pass timer. */
  passIntervalMs?: number;
  /** A running attempt its trainer does not report for this long (after assignment) is lost. */
  unreportedGraceMs?: number;
  /** A cancelled training's running attempt is ended this long after the cancel even without its trainer's word. */
  cancelGraceMs?: number;
}


export class WorkCoordinator {
  readonly sessions = new TrainerSessions();
  private book: TaskBook | undefined;
  private writer: TaskWriter;
  private timer: NodeJS.Timeout | undefined;
  private passing = false;
  private again = false;
  private readonly heartbeatMs: number;
  private readonly unreportedGraceMs: number;
  private readonly cancelGraceMs: number;

  constructor(private readonly opts: CoordinatorOptions) {
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    this.unreportedGraceMs = opts.unreportedGraceMs ?? 5000;
    this.cancelGraceMs = opts.cancelGraceMs ?? 3000;
    this.writer = new TaskWriter(opts.etcd, opts.election, (kind, task, rev) => this.book?.noteWrite(kind, task, rev));
    opts.election.on("elected", () => void this.lead());
    opts.election.on("lost", () => void this.standDown());
    opts.directory.on("left", (n: { role: string }) => n.role === "trainer" && this.schedulePass());
  }

  // --- leadership ------------------------------------------------------------------------------

  private async lead(): Promise<void> {
    await this.standDown();
    const book = new TaskBook(this.opts.etcd);
    try {
      await book.start();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, "could not load tasks; will retry on the next election event");
      return;
    }
    if (!this.opts.election.isLeader()) {
      await book.stop();
      return;
    }
    this.book = book;
    book.on("changed", () => this.schedulePass());
    this.timer = setInterval(() => this.schedulePass(), this.opts.passIntervalMs ?? 500);
    this.opts.log.info({ jobs: book.jobs.size }, "work coordinator leading");
    this.schedulePass();
  }

  private async standDown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sessions.closeAll(new ServerError(Status.UNAVAILABLE, "this scheduler is no longer the leader"));
    const book = this.book;
    this.book = undefined;
    await book?.stop();
  }

  async stop(): Promise<void> {
    await this.standDown();
  }

  private requireLeader(): void {
    if (!this.opts.election.isLeader() || !this.book) throw new DmlError("NO_LEADER", "this scheduler is not the leader; look the leader up in etcd");
  }

  // --- passes ----------------------------------------------------------------------------------

  schedulePass(): void {
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = true;
    void (async () => {
      try {
        do {
          this.again = false;
          if (!this.book || !this.opts.election.isLeader()) break;
          await this.pass(this.book);
        } while (this.again);
      } catch (err) {
        if (!(err instanceof StaleFenceError)) this.opts.log.warn({ err: (err as Error).message }, "scheduling pass failed");
      } finally {
        this.passing = false;
      }
    })();
  }

  private async pass(book: TaskBook): Promise<void> {
    const liveTrainers = new Set(this.opts.directory.live("trainer").map((n) => n.id));
    const queued: Array<{ createdAt: string; task: TaskRecord; cvMetrics?: Record<string, CvMetricJson> }> = [];
    const busy = new Map<string, number>();
    const jobs = [...book.jobs.values()]
      .filter((e) => e.spec)
      .sort((a, b) => a.spec!.value.createdAt.localeCompare(b.spec!.value.createdAt));
    for (const entry of jobs) {
      const createdAt = entry.spec!.value.createdAt;
      const cancelled = entry.kind === "training" && entry.spec!.value.cancelRequested === true;
      for (const { value: task } of entry.tasks.values()) {
        if (isTerminal(task.state)) continue;
        if (cancelled) {
          await this.carryOutCancel(entry.spec!.value as TrainingSpec, task);
          continue;
        }
        if (task.state === "running") {
          const trainer = task.trainer ?? "";
          if (!liveTrainers.has(trainer)) {
            await this.loseAttempt(task, `trainer ${trainer} left the cluster (its lease expired)`);
            continue;
          }
          if (this.unreported(task)) {
            await this.loseAttempt(task, `trainer ${trainer} no longer runs attempt ${task.attempt}`);
            continue;
          }
          busy.set(trainer, (busy.get(trainer) ?? 0) + 1);
        } else if (task.folds !== undefined) {
          const folds = [...entry.tasks.values()].map((v) => v.value).filter((t) => t.modelId === task.modelId && t.fold !== undefined);
          const failed = folds.find((f) => f.state === "failed" || f.state === "cancelled");
          if (failed) await this.endWithFold(task, failed);
          else if (folds.length === task.folds && folds.every((f) => f.state === "succeeded")) queued.push({ createdAt, task, cvMetrics: mergeCvMetrics(folds.sort((a, b) => a.fold! - b.fold!).map((f) => f.metrics ?? {})) });
          // else: wait for the folds
        } else queued.push({ createdAt, task });
      }
    }
    queued.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.task.index - b.task.index || (a.task.fold ?? -1) - (b.task.fold ?? -1));
    for (const { task, cvMetrics } of queued) {
      const session = this.pickTrainer(busy, liveTrainers);
      if (!session) break;
      const ok = await this.assign(task, session, cvMetrics);
      if (ok) busy.set(session.nodeId, (busy.get(session.nodeId) ?? 0) + 1);
    }
  }

  /** The connected live trainer with the most free slots (ties: fewest running, then id). */
  private pickTrainer(busy: Map<string, number>, live: Set<string>): TrainerSession | undefined {
    let best: TrainerSession | undefined;
    let bestFree = 0;
    for (const s of this.sessions.all()) {
      if (!live.has(s.nodeId)) continue;
      const free = s.slots - (busy.get(s.nodeId) ?? 0);
      if (free > bestFree) {
        best = s;
        bestFree = free;
      }
    }
    return best;
  }

  /** A running attempt its connected trainer has stopped listing in heartbeats (after a grace). */
  private unreported(task: TaskRecord): boolean {
    const session = this.sessions.get(task.trainer ?? "");
    if (!session) return false; // not connected: its lease decides
    const assignedAt = Date.parse(task.assignedAt ?? "") || 0;
    if (Date.now() - assignedAt < this.unreportedGraceMs || Date.now() - session.lastReportAt > this.heartbeatMs * 3) return false;
    return !session.reported.has(`${task.id}@${task.attempt}`);
  }

  private async assign(task: TaskRecord, session: TrainerSession, cvMetrics?: Record<string, CvMetricJson>): Promise<boolean> {
    const kind = jobKindOf(task);
    const assignment = await this.writer.update(kind, task.jobId, task.id, (read) => {
      if (read.task.state !== "queued" || read.spec.cancelRequested) return { result: undefined };
      const next = assigned(read.task, session.nodeId);
      return {
        next,
        // The spec must not have changed either: a cancel that lands first wins.
        compares: [{ key: jobSpecKey(kind, task.jobId), target: "Mod", cmp: "==", value: read.specModRevision }],
        result: kind === "training" ? trainAssignment(read.spec, next, cvMetrics) : predictAssignment(read.spec, next),
      };
    });
    if (!assignment) return false;
    this.opts.log.info({ task: task.id, job: task.jobId, attempt: assignment.attempt, trainer: session.nodeId }, "assigned task");
    if (!session.send({ $case: "assignment", assignment })) {
      // The stream closed in between: the trainer's next Hello (or its lease) sorts it out.
      this.opts.log.warn({ task: task.id, trainer: session.nodeId }, "assignment not delivered; stream closed");
    }
    return true;
  }


  /** A final-model task whose fold failed (or was cancelled) ends the same way, naming the fold. */
  private async endWithFold(task: TaskRecord, fold: TaskRecord): Promise<void> {
    await this.writer.update(jobKindOf(task), task.jobId, task.id, (read) => {
      if (read.task.state !== "queued") return { result: undefined };
      const why = `cross-validation fold ${fold.fold! + 1} ${fold.state}: ${fold.error ?? "no reason recorded"}`;
      return { next: fold.state === "cancelled" ? cancelled(read.task, why) : { ...attemptLost(read.task, "failed", why, false) }, result: undefined };
    });
  }

  private async loseAttempt(task: TaskRecord, why: string): Promise<void> {
    await this.writer.update(jobKindOf(task), task.jobId, task.id, (read) => {
      if (!isCurrent(read.task, task.attempt)) return { result: undefined };
      return { next: attemptLost(read.task, "lost", why), result: undefined };
    });
    this.opts.log.warn({ task: task.id, attempt: task.attempt, why }, "attempt lost");
    this.sessions.get(task.trainer ?? "")?.cancel(task.id, task.attempt, why);
  }

  /** Queued tasks end at once; running ones are told to stop, and ended anyway after a grace. */
  private async carryOutCancel(spec: TrainingSpec, task: TaskRecord): Promise<void> {
    if (task.state === "running") {
      this.sessions.get(task.trainer ?? "")?.cancel(task.id, task.attempt, "training cancelled");
      const since = Date.parse(spec.cancelRequestedAt ?? "") || 0;
      if (Date.now() - since < this.cancelGraceMs) return;
    }
    await this.writer.update(jobKindOf(task), task.jobId, task.id, (read) => {
      if (isTerminal(read.task.state) || read.task.state !== task.state || read.task.attempt !== task.attempt) return { result: undefined };
      const reason = read.task.state === "running" ? `training cancelled (trainer ${read.task.trainer ?? "?"} did not confirm the stop)` : "training cancelled";
      return { next: cancelled(read.task, reason), result: undefined };
    });
  }

  // --- the trainer-facing RPCs -----------------------------------------------------------------

  /** Handles one ConnectWork stream; yields the responses. */
  async *connect(requests: AsyncIterable<workV1.ConnectWorkRequest>, signal: AbortSignal): AsyncIterable<workV1.ConnectWorkResponse> {
    this.requireLeader();
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    const hello = !first.done && first.value.message?.$case === "hello" ? first.value.message.hello : undefined;
    if (!hello) throw new ServerError(Status.INVALID_ARGUMENT, "the first ConnectWork message must be a hello");
    if (!hello.nodeId || !(hello.slots > 0)) throw new ServerError(Status.INVALID_ARGUMENT, "hello needs node_id and slots > 0");
    const member = this.opts.directory.get(hello.nodeId);
    if (!member || member.role !== "trainer" || member.state !== "up") {
      throw new ServerError(Status.FAILED_PRECONDITION, `${hello.nodeId} is not a live trainer in etcd membership`);
    }
    this.requireLeader();
    const session = new TrainerSession(hello.nodeId, hello.address || member.address, hello.slots);
    const fence = this.opts.election.currentFence()!;
    session.send({ $case: "welcome", welcome: { leaderId: fence.leaderId, fencingRevision: fence.revision, heartbeatIntervalMs: this.heartbeatMs } });
    this.sessions.add(session);
    await this.reconcile(session, hello.running, true);
    this.opts.log.info({ trainer: hello.nodeId, slots: hello.slots, running: hello.running.length }, "trainer connected");
    this.schedulePass();

    const onAbort = () => session.close();
    signal.addEventListener("abort", onAbort);
    const reader = (async () => {
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          await this.onTrainerMessage(session, next.value);
        }
        session.close();
      } catch (err) {
        session.close(err instanceof StaleFenceError ? new ServerError(Status.UNAVAILABLE, "leadership lost") : undefined);
      }
    })();
    try {
      yield* session.outgoing;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.sessions.remove(session);
      session.close();
      void reader;
      this.opts.log.info({ trainer: hello.nodeId }, "trainer stream ended");
    }
  }

  private async onTrainerMessage(session: TrainerSession, req: workV1.ConnectWorkRequest): Promise<void> {
    const m = req.message;
    if (!m) return;
    if (m.$case === "heartbeat") await this.reconcile(session, m.heartbeat.running, false);
    else if (m.$case === "progress") {
      const p = m.progress;
      try {
        await this.recordProgress(session.nodeId, p.taskId, p.attempt, p.progress, p.message);
      } catch (err) {
        if (err instanceof DmlError && (err.code === "STALE_FENCE" || err.code === "NOT_FOUND")) session.cancel(p.taskId, p.attempt, err.message);
        else throw err;
      }
    }
  }

  /**
   * Squares what a trainer says it runs with the record: attempts that are no longer current are
   * cancelled on the trainer. On a (re)connect, tasks the record gives the trainer but that it does
   * not run any more are lost at once (it restarted, or never got the assignment).
   */
  private async reconcile(session: TrainerSession, running: workV1.RunningTask[], onHello: boolean): Promise<void> {
    session.lastReportAt = Date.now();
    session.reported = new Set(running.map((r) => `${r.taskId}@${r.attempt}`));
    const book = this.book;
    if (!book) return;
    const mine: TaskRecord[] = [];
    for (const entry of book.jobs.values()) for (const { value } of entry.tasks.values()) if (value.state === "running" && value.trainer === session.nodeId) mine.push(value);
    for (const r of running) {
      const task = mine.find((t) => t.id === r.taskId);
      if (!task || task.attempt !== r.attempt) {
        // Not in the book as this attempt: double-check the record before telling it to stop.
        const current = book.jobOfTask(r.taskId)?.tasks.get(r.taskId)?.value;
        if (!current || !isCurrent(current, r.attempt) || current.trainer !== session.nodeId) session.cancel(r.taskId, r.attempt, "attempt is not current");
      }
    }
    if (onHello) {
      for (const task of mine) {
        if (!session.reported.has(`${task.id}@${task.attempt}`)) await this.loseAttempt(task, `trainer ${session.nodeId} reconnected without attempt ${task.attempt}`);
      }
    }
  }

  /** Records progress of a current attempt; STALE_FENCE (ABORTED) otherwise. Returns whether a cancel was requested. */
  async recordProgress(nodeId: string, taskId: string, attempt: number, fraction: number, message: string): Promise<boolean> {
    this.requireLeader();
    const job = this.jobOf(taskId);
    // Trainers repeat their latest progress every interval: when the book already holds it for
    // this current attempt, there is nothing to write, so no etcd reads either. (The book may lag;
    // a stale attempt is then caught by its next real write or by the heartbeat reconcile.)
    const entry = this.book?.jobOfTask(taskId);
    const known = entry?.tasks.get(taskId)?.value;
    if (known && isCurrent(known, attempt) && known.trainer === nodeId) {
      const next = withProgress(known, fraction, message);
      if (next.progress === known.progress && next.message === known.message) return entry?.kind === "training" && entry.spec?.value.cancelRequested === true;
    }
    return this.writer.update(job.kind, job.jobId, taskId, (read) => {
      if (!isCurrent(read.task, attempt) || read.task.trainer !== nodeId) {
        throw new DmlError("STALE_FENCE", `attempt ${attempt} of task ${taskId} is not current; stop working on it`, { taskId, attempt });
      }
      const next = withProgress(read.task, fraction, message);
      if (next.progress === read.task.progress && next.message === read.task.message) return { result: read.spec.cancelRequested === true };
      return { next, result: read.spec.cancelRequested === true };
    });
  }

  /** Records an attempt's outcome exactly once. */
  async complete(req: workV1.CompleteTaskRequest): Promise<{ duplicate: boolean }> {
    this.requireLeader();
    if (!req.taskId || !(req.attempt > 0) || !req.nodeId) throw new DmlError("INVALID_ARGUMENT", "node_id, task_id and attempt are required");
    const job = this.jobOf(req.taskId);
    const { outcome, model } = outcomeOf(req);
    if ((job.kind === "prediction") !== (req.outcome?.$case === "predict") && (req.outcome?.$case === "train" || req.outcome?.$case === "predict")) {
      throw new DmlError("INVALID_ARGUMENT", `a ${req.outcome.$case} result does not match ${job.kind} task ${req.taskId}`);
    }
    const result = await this.writer.update(job.kind, job.jobId, req.taskId, (read) => {
      if (read.task.trainer !== req.nodeId && read.task.history.every((h) => h.attempt !== req.attempt || h.trainer !== req.nodeId)) {
        throw new DmlError("STALE_FENCE", `attempt ${req.attempt} of task ${req.taskId} does not belong to ${req.nodeId}`);
      }
      if (outcome.kind === "succeeded" && read.kind === "training" && (read.task.fold !== undefined) !== (model === undefined)) {
        throw new DmlError("INVALID_ARGUMENT", read.task.fold !== undefined ? "a fold task reports fold_metrics, not a model" : "a training task's result needs model and model_object");
      }
      const v = completion(read.task, req.attempt, outcome, read.spec.cancelRequested === true);
      if (v.verdict === "duplicate") return { result: { duplicate: true } };
      if (v.verdict === "stale") throw new DmlError("STALE_FENCE", `completion of task ${req.taskId} rejected: ${v.reason}`, { taskId: req.taskId, attempt: req.attempt });
      if (v.next.state === "succeeded" && model) {
        const key = modelKey(model.id);
        return {
          next: v.next,
          ops: (etcd) => [etcd.put(key).value(JSON.stringify({ ...model, trainer: req.nodeId }))],
          compares: [{ key, target: "Create", cmp: "==", value: 0 }],
          result: { duplicate: false },
        };
      }
      return { next: v.next, result: { duplicate: false } };
    });
    this.opts.log.info({ task: req.taskId, attempt: req.attempt, outcome: outcome.kind, duplicate: result.duplicate }, "task completion");
    this.schedulePass();
    return result;
  }


  private jobOf(taskId: string): { kind: JobKind; jobId: string } {
    const entry = this.book?.jobOfTask(taskId);
    if (!entry) throw new DmlError("NOT_FOUND", `task ${taskId} not found`, { taskId });
    return { kind: entry.kind, jobId: entry.jobId };
  }
}

