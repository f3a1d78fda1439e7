// The task state machine as pure functions of the current record: what a task becomes when it is
// assigned, reports progress, completes, loses its trainer, or its training is cancelled.
// queued -> running -> succeeded | failed | cancelled, and running -> queued when an attempt is
// lost or fails retryably (until MAX_ATTEMPTS). The fencing rule lives here too: a report counts
// only while its attempt is the task's current, running one.
import { isTerminal, MAX_ATTEMPTS, type AttemptRecord, type TaskRecord } from "@dml/catalog";

export type Outcome =
  | { kind: "succeeded"; metrics: Record<string, number>; cvMetrics?: TaskRecord["cvMetrics"]; rows?: number; results?: TaskRecord["results"] }
  | { kind: "failed"; error: string; retryable: boolean }
  | { kind: "cancelled" };

const now = () => new Date().toISOString();

/** Whether (attempt) is the task's live attempt: the only one allowed to report. */
export function isCurrent(task: TaskRecord, attempt: number): boolean {
  return task.state === "running" && task.attempt === attempt;
}

export function assigned(task: TaskRecord, trainer: string, at = now()): TaskRecord {
  return {
    ...task,
    state: "running",
    attempt: task.attempt + 1,
    trainer,
    assignedAt: at,
    progress: 0,
    message: "assigned",
    startedAt: task.startedAt ?? at,
  };
}

export function withProgress(task: TaskRecord, fraction: number, message: string): TaskRecord {
  const progress = Math.min(1, Math.max(task.progress, Number.isFinite(fraction) ? fraction : 0));
  return { ...task, progress, message: message.slice(0, 200) };
}

function ended(task: TaskRecord, outcome: AttemptRecord["outcome"], error: string | undefined, at: string): AttemptRecord {
  return { attempt: task.attempt, trainer: task.trainer ?? "", outcome, ...(error !== undefined && { error }), at };
}

/**
 * The current attempt ended without a result (trainer died, retryable failure, stopped without a
 * cancel): back to the queue for another attempt, or failed for good after MAX_ATTEMPTS.
 */
export function attemptLost(task: TaskRecord, outcome: "lost" | "failed", error: string, retryable = true, at = now()): TaskRecord {
  const history = [...task.history, ended(task, outcome, error, at)];
  if (retryable && task.attempt < MAX_ATTEMPTS) {
    return { ...task, state: "queued", progress: 0, message: `attempt ${task.attempt} ${outcome}: ${error}; requeued`, history };
  }
  const why = retryable ? `failed on ${task.attempt} attempts; last: ${error}` : error;
  return { ...task, state: "failed", error: why, message: undefined, finishedAt: at, history };
}

export function succeeded(task: TaskRecord, metrics: Record<string, number>, cvMetrics: TaskRecord["cvMetrics"], at = now(), output: Pick<TaskRecord, "rows" | "results"> = {}): TaskRecord {
  return {
    ...task,
    state: "succeeded",
    progress: 1,
    message: "done",
    metrics,
    ...(cvMetrics && { cvMetrics }),
    ...output,
    finishedAt: at,
    completedAttempt: task.attempt,
    history: [...task.history, ended(task, "succeeded", undefined, at)],
  };
}

/** The training was cancelled: a queued task ends at once, a running one once its trainer stopped (or gave no sign). */
export function cancelled(task: TaskRecord, reason: string, at = now()): TaskRecord {
  const history = task.state === "running" ? [...task.history, ended(task, "cancelled", reason, at)] : task.history;
  return { ...task, state: "cancelled", error: reason, message: undefined, finishedAt: at, history };
}

export type CompletionVerdict =
  /** Record it: the new task record. */
  | { verdict: "record"; next: TaskRecord }
  /** This attempt's outcome was already recorded (a retried call): leave the record. */
  | { verdict: "duplicate" }
  /** The attempt is not current, or another outcome was recorded for it. */
  | { verdict: "stale"; reason: string };

/** Decides what a trainer's CompleteTask does to the task. */
export function completion(task: TaskRecord, attempt: number, outcome: Outcome, cancelRequested: boolean): CompletionVerdict {
  const past = task.history.find((h) => h.attempt === attempt);
  if (past) {
    const same = past.outcome === outcome.kind || (outcome.kind === "failed" && past.outcome === "failed");
    return same ? { verdict: "duplicate" } : { verdict: "stale", reason: `attempt ${attempt} already ended as ${past.outcome}` };
  }
  if (!isCurrent(task, attempt)) {
    const why = isTerminal(task.state) ? `the task already ${task.state}` : `attempt ${attempt} is not current (current: ${task.attempt}, ${task.state})`;
    return { verdict: "stale", reason: why };
  }
  switch (outcome.kind) {
    case "succeeded":
      return {
        verdict: "record",
        next: succeeded(task, outcome.metrics, outcome.cvMetrics, undefined, {
          ...(outcome.rows !== undefined && { rows: outcome.rows }),
          ...(outcome.results && { results: outcome.results }),
        }),
      };
    case "failed":
      return { verdict: "record", next: attemptLost(task, "failed", outcome.error, outcome.retryable) };
    case "cancelled":
      return cancelRequested
        ? { verdict: "record", next: cancelled(task, "training cancelled") }
        : { verdict: "record", next: attemptLost(task, "lost", `trainer ${task.trainer ?? "?"} stopped the attempt`) };
  }
}
