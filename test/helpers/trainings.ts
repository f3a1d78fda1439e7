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

/** A seeded binary classification CSV: `cols` numeric features and a label from a noisy rule. */
export function syntheticCsv(rows: number, cols: number, seed = 1): string {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const lines = [[...Array.from({ length: cols }, (_, j) => `f${j}`), "label"].join(",")];
  for (let i = 0; i < rows; i++) {
    const x = Array.from({ length: cols }, () => rand() * 2 - 1);
    const score = x[0]! * x[1]! + Math.sin(3 * x[2]!) + 0.5 * x[3]! - 0.3 * (x[4] ?? 0) + (rand() - 0.5) * 0.6;
    lines.push([...x.map((v) => v.toFixed(4)), score > 0 ? "yes" : "no"].join(","));
  }
  return lines.join("\n") + "\n";
}

let counter = 0;
/** Records a training straight in etcd (as the gateway would), for tests of the scheduler and trainers. */
export async function recordTraining(
  etcd: Etcd3,
  datasetId: string,
  target: string,
  models: Array<{ algorithm: string; params?: Record<string, unknown> }>,
  opts: { task?: "classification" | "regression"; cvFolds?: number } = {},
): Promise<string> {
  const id = `t-test-${process.pid}-${++counter}`;
  const specs = models.map((m, i) => ({ modelId: `${id}-m${i}`, algorithm: m.algorithm, params: m.params ?? {} }));
  const spec = {
    id,
    datasetId,
    target,
    task: opts.task ?? "classification",
    models: specs,
    testFraction: 0.2,
    cvFolds: opts.cvFolds ?? 0,
    seed: 42,
    createdAt: new Date().toISOString(),
  } as const;
  const { newTaskRecord } = await import("@dml/catalog");
  await new TrainingRepository(etcd).create({ ...spec, models: specs }, specs.map((m, i) => newTaskRecord(id, m, i)));
  return id;
}
