import { describe, expect, it } from "vitest";
import { formatLeaderboard, formatMetric, formatTraining, formatTrainingList, TrainingWatchView, type Training } from "./training-view.js";

const metrics = (accuracy: number, f1Macro: number) => ({ accuracy, f1Macro, rocAuc: 0.95, logLoss: 0.31, precisionMacro: 0.9 });

function sample(): Training {
  return {
    id: "t1",
    datasetId: "ds1",
    target: "label",
    task: "classification",
    state: "succeeded",
    progress: 1,
    primaryMetric: "accuracy",
    testFraction: 0.2,
    cvFolds: 0,
    seed: 42,
    cancelRequested: false,
    createdAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:09.000Z",
    leaderboard: ["m-svm", "m-rf"],
    models: [
      {
        modelId: "m-rf",
        algorithm: "random_forest",
        params: { n_estimators: 50 },
        state: "succeeded",
        progress: 1,
        metrics: metrics(0.9, 0.88),
        trainer: "trainer-1",
        attempts: 1,
        startedAt: "2026-01-01T00:00:01.000Z",
        finishedAt: "2026-01-01T00:00:03.500Z",
      },
      { modelId: "m-svm", algorithm: "svm", params: {}, state: "succeeded", progress: 1, metrics: metrics(0.93456, 0.9), trainer: "trainer-2", attempts: 2 },
      { modelId: "m-knn", algorithm: "knn", state: "failed", progress: 0.4, metrics: {}, error: "out of memory", attempts: 3 },
    ],
  };
}

describe("formatLeaderboard", () => {
  it("ranks in leaderboard order with the primary and a few other metrics, then failed models", () => {
    expect(formatLeaderboard(sample())).toEqual([
      "RANK  MODEL  ALGORITHM      ACCURACY  F1MACRO  ROCAUC  LOGLOSS  TIME  PARAMS",
      "1     m-svm  svm            0.9346    0.9000   0.9500  0.3100   -",
      "2     m-rf   random_forest  0.9000    0.8800   0.9500  0.3100   2.5s  n_estimators=50",
      "failed: m-knn knn: out of memory (after 3 attempts)",
    ]);
  });

  it("shows the cross-validated mean ± std of the primary metric when cvFolds > 1", () => {
    const t = sample();
    t.cvFolds = 5;
    t.models[0]!.cvMetrics = { accuracy: { mean: 0.91, std: 0.012, folds: [0.9, 0.92] } };
    t.models[1]!.cvMetrics = { accuracy: { mean: 0.905, std: 0.02, folds: [0.9, 0.91] } };
    t.leaderboard = ["m-rf", "m-svm"];
    const lines = formatLeaderboard(t);
    expect(lines[0]).toMatch(/^RANK\s+MODEL\s+ALGORITHM\s+ACCURACY \(CV 5\)\s+TEST ACCURACY\s+F1MACRO/);
    expect(lines[1]).toMatch(/^1\s+m-rf\s+random_forest\s+0\.9100 ± 0\.0120\s+0\.9000\s/);
    expect(lines[2]).toMatch(/^2\s+m-svm\s+svm\s+0\.9050 ± 0\.0200\s+0\.9346\s/);
  });

  it("uses r2, rmse and mae for regression and says when nothing succeeded", () => {
    const t = sample();
    t.task = "regression";
    t.primaryMetric = "r2";
    t.models[0]!.metrics = { r2: 0.8, mse: 4, rmse: 2, mae: 1.5 };
    t.leaderboard = ["m-rf"];
    expect(formatLeaderboard(t)[0]).toBe("RANK  MODEL  ALGORITHM      R2      RMSE    MAE     TIME  PARAMS");
    expect(formatLeaderboard(t)[1]).toBe("1     m-rf   random_forest  0.8000  2.0000  1.5000  2.5s  n_estimators=50");
    t.leaderboard = [];
    expect(formatLeaderboard(t)[0]).toBe("no model succeeded");
  });

  it("formats metrics compactly", () => {
    expect(formatMetric(undefined)).toBe("-");
    expect(formatMetric(0.123456)).toBe("0.1235");
    expect(formatMetric(123456789)).toBe("1.235e+8");
    expect(formatMetric(NaN)).toBe("NaN");
  });
});

describe("formatTraining and formatTrainingList", () => {
  it("shows a summary, every model and the leaderboard", () => {
    const lines = formatTraining(sample());
    expect(lines[0]).toBe("t1  succeeded  100%");
    expect(lines[1]).toBe("  dataset ds1, target label, classification, test fraction 0.2, seed 42");
    expect(lines.find((l) => l.startsWith("m-knn"))).toMatch(/^m-knn\s+knn\s+failed\s+40%\s+3\s+out of memory$/);
    expect(lines).toContain("leaderboard:");
  });

  it("lists trainings with how many models are done", () => {
    const t = sample();
    t.models[1]!.state = "running";
    expect(formatTrainingList([t])[1]).toMatch(/^t1\s+succeeded\s+100%\s+2\/3 done, 1 failed\s+ds1\s+2026-01-01T00:00:00.000Z$/);
  });
});

describe("TrainingWatchView", () => {
  const capture = (isTTY: boolean) => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY, columns: 200, write: (s: string) => chunks.push(s) } };
  };

  it("prints one line per state change when not on a terminal", () => {
    const { chunks, stream } = capture(false);
    const view = new TrainingWatchView(stream);
    const t = sample();
    const running: Training = { ...t, state: "running", models: t.models.map((m) => ({ ...m, state: "queued", attempts: 0, progress: 0 })) };
    view.update(running);
    running.models[0] = { ...running.models[0]!, state: "running", trainer: "trainer-1", attempts: 1, progress: 0.5 };
    view.update(running);
    view.update(running); // progress only: no new line
    view.update(t);
    const text = chunks.join("").replace(/^\[\s*[\d.]+s\] /gm, "");
    expect(text.split("\n").filter(Boolean)).toEqual([
      "training t1 running",
      "m-rf random_forest running on trainer-1",
      "m-rf random_forest succeeded, accuracy 0.9000 (2.5 s)",
      "m-svm svm succeeded, accuracy 0.9346",
      "m-knn knn failed: out of memory",
      "training t1 succeeded",
    ]);
  });

  it("redraws in place on a terminal: cursor up by the lines drawn last time", () => {
    const { chunks, stream } = capture(true);
    const view = new TrainingWatchView(stream);
    view.update(sample());
    view.finish();
    expect(chunks[0]).not.toContain("\x1b[4A");
    expect(chunks[1]!.startsWith("\x1b[4A")).toBe(true); // header + 3 models
    expect(chunks[1]).toContain("m-knn knn");
    expect(chunks[1]).toContain("[####################] 100% succeeded on trainer-1");
  });
});
