// Helpers for the trainings end-to-end tests: records in etcd, waiting on a training's state.
import type { Etcd3 } from "etcd3";
import { TrainingRepository, trainingView, type TaskRecord, type TrainingView } from "@dml/catalog";
import { waitFor } from "@dml/testkit";

export async function readTraining(etcd: Etcd3, id: string): Promise<{ view: TrainingView; tasks: TaskRecord[] }> {
  const snap = await new TrainingRepository(etcd).require(id);
  return { view: trainingView(snap.spec, snap.tasks), tasks: snap.tasks };
}

export async function waitForTraining(etcd: Etcd3, id: string, done: (v: TrainingView, tasks: TaskRecord[]) => boolean, timeoutMs = 60_000, what = "training condition"): Promise<{ view: TrainingView; tasks: TaskRecord[] }> {
  let last: { view: TrainingView; tasks: TaskRecord[] } | undefined;
  try {
    return await waitFor(
      async () => {
        last = await readTraining(etcd, id);
        return done(last.view, last.tasks) ? last : undefined;
      },
      { timeoutMs, intervalMs: 100, message: what },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last view: ${JSON.stringify(last?.view.models.map((m) => [m.algorithm, m.state, m.attempts, m.trainer, m.error]))}`);
  }
}

export const isEnded = (v: TrainingView) => ["succeeded", "failed", "cancelled"].includes(v.state);

/** Every task ended, each with exactly one recorded outcome per attempt and at most one success. */
export function assertFinalRecord(tasks: readonly TaskRecord[]): string[] {
  const problems: string[] = [];
  for (const t of tasks) {
    if (!["succeeded", "failed", "cancelled"].includes(t.state)) problems.push(`${t.id} still ${t.state}`);
    const attempts = t.history.map((h) => h.attempt);
    if (new Set(attempts).size !== attempts.length) problems.push(`${t.id} has an attempt recorded twice: ${attempts.join(",")}`);
    const successes = t.history.filter((h) => h.outcome === "succeeded").length;
    if (successes > 1) problems.push(`${t.id} completed ${successes} times`);
    if (t.state === "succeeded" && successes !== 1) problems.push(`${t.id} succeeded without exactly one recorded success`);
    if (t.state === "failed" && !t.error) problems.push(`${t.id} failed without a reason`);
  }
  return problems;
}
