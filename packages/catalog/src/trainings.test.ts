import { describe, expect, it } from "vitest";
import { tasksForModel, trainingView, type TaskRecord, type TrainingSpec } from "./trainings.js";

const spec = (over: Partial<TrainingSpec> = {}): TrainingSpec => ({
  id: "t1",
  datasetId: "d1",
  target: "y",
  task: "classification",
  models: [
    { modelId: "m0", algorithm: "knn", params: {} },
    { modelId: "m1", algorithm: "svm", params: {} },
  ],
  testFraction: 0.2,
  cvFolds: 0,
  seed: 42,
  createdAt: "2026-11-22T00:00:00.000Z",
  ...over,
});

const done = (t: TaskRecord, metrics: Record<string, number>, at = "2026-11-22T00:01:00.000Z"): TaskRecord => ({ ...t, state: "succeeded", attempt: 1, progress: 1, metrics, finishedAt: at });

describe("trainingView", () => {
  it("is queued, then running, then succeeded with a leaderboard best first", () => {
    const s = spec();
    const [a, b] = s.models.flatMap((m, i) => tasksForModel(s.id, m, i, 0));
    expect(trainingView(s, [a!, b!]).state).toBe("queued");
    const running = { ...a!, state: "running" as const, attempt: 1, progress: 0.5, trainer: "tr-1" };
    const v1 = trainingView(s, [running, b!]);
    expect(v1.state).toBe("running");
    expect(v1.progress).toBeCloseTo(0.25);
    expect(v1.models[0]!.trainer).toBe("tr-1");
    const v2 = trainingView(s, [done(a!, { accuracy: 0.8 }), done(b!, { accuracy: 0.9 }, "2026-11-22T00:02:00.000Z")]);
    expect(v2.state).toBe("succeeded");
    expect(v2.leaderboard).toEqual(["m1", "m0"]);
    expect(v2.finishedAt).toBe("2026-11-22T00:02:00.000Z");
    expect(v2.progress).toBe(1);
  });

  it("fails only when every model failed, and is cancelled after a cancel", () => {
    const s = spec();
    const [a, b] = s.models.flatMap((m, i) => tasksForModel(s.id, m, i, 0));
    const failed = (t: TaskRecord): TaskRecord => ({ ...t, state: "failed", error: "boom", finishedAt: "2026-11-22T00:03:00.000Z" });
    expect(trainingView(s, [failed(a!), done(b!, { accuracy: 1 })]).state).toBe("succeeded");
    const v = trainingView(s, [failed(a!), failed(b!)]);
    expect(v.state).toBe("failed");
    expect(v.error).toContain("boom");
    const c = trainingView({ ...s, cancelRequested: true }, [done(a!, { accuracy: 1 }), { ...b!, state: "cancelled" }]);
    expect(c.state).toBe("cancelled");
    expect(c.leaderboard).toEqual(["m0"]);
  });

  it("ranks by the CV mean with folds, and folds the fold tasks into their model", () => {
    const s = spec({ cvFolds: 3, task: "regression" });
    const tasks = s.models.flatMap((m, i) => tasksForModel(s.id, m, i, 3));
    expect(tasks.map((t) => t.id)).toEqual(["m0-fold-0", "m0-fold-1", "m0-fold-2", "m0", "m1-fold-0", "m1-fold-1", "m1-fold-2", "m1"]);
    expect(tasks.find((t) => t.id === "m0")!.folds).toBe(3);
    // m0: one fold running, the rest queued: the model runs.
    const partial = tasks.map((t) => (t.id === "m0-fold-1" ? { ...t, state: "running" as const, attempt: 1, progress: 0.5, trainer: "tr-2", message: "tree 5/10" } : t));
    const pv = trainingView(s, partial);
    expect(pv.models[0]!.state).toBe("running");
    expect(pv.models[0]!.trainer).toBe("tr-2");
    expect(pv.models[0]!.progressMessage).toBe("fold 2/3: tree 5/10");
    expect(pv.models[0]!.folds!.map((f) => f.state)).toEqual(["queued", "running", "queued"]);
    expect(pv.models[0]!.progress).toBeCloseTo(0.5 / 4);
    // Both done: m1 has the lower test r2 but the higher CV mean, so it leads.
    const cv = (mean: number) => ({ r2: { mean, std: 0, folds: [mean, mean, mean] } });
    const finished = tasks.map((t) =>
      t.fold !== undefined ? done(t, { r2: 0.5 }) : { ...done(t, { r2: t.id === "m0" ? 0.9 : 0.1 }), cvMetrics: cv(t.id === "m0" ? 0.2 : 0.6) },
    );
    const fv = trainingView(s, finished);
    expect(fv.primaryMetric).toBe("r2");
    expect(fv.leaderboard).toEqual(["m1", "m0"]);
    expect(fv.models[0]!.folds!.every((f) => f.state === "succeeded" && f.progress === 1)).toBe(true);
  });
});
