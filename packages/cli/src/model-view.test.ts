import { describe, expect, it } from "vitest";
import { parseArgs } from "./args.js";
import { listQuery } from "./commands/models.js";
import { formatModel, formatModelList, type Model } from "./model-view.js";

const model = (over: Partial<Model> = {}): Model => ({
  id: "m-1",
  algorithm: "random_forest",
  task: "classification",
  target: "species",
  features: [
    { name: "petal", type: "number" },
    { name: "sepal", type: "number" },
  ],
  classes: ["setosa", "virginica"],
  params: { n_estimators: 50 },
  metrics: { accuracy: 0.95, f1Macro: 0.94 },
  cvMetrics: { accuracy: { mean: 0.93, std: 0.02, folds: [0.91, 0.95] } },
  featureImportance: { sepal: 0.25, petal: 0.75 },
  confusionMatrix: { labels: ["setosa", "virginica"], rows: [[10, 0], [1, 9]] },
  rocCurve: [{ positiveClass: "virginica", auc: 0.99 }],
  trainingId: "t-1",
  datasetId: "ds_1",
  createdAt: "2026-11-22T00:00:00.000Z",
  sizeBytes: 2048,
  format: "dml-model/1",
  replicas: 3,
  ...over,
});

describe("dml models views", () => {
  it("lists models with the task's primary metric", () => {
    const lines = formatModelList([model(), model({ id: "m-2", algorithm: "knn", task: "regression", metrics: { r2: 0.5 } })]);
    expect(lines[0]).toMatch(/^ID\s+ALGORITHM\s+TASK\s+METRIC\s+TRAINING\s+CREATED\s+SIZE$/);
    expect(lines[1]).toContain("accuracy 0.9500");
    expect(lines[1]).toContain("2.0 KB");
    expect(lines[2]).toContain("r2 0.5000");
  });

  it("shows metrics, CV metrics, the confusion matrix, top importances and ROC AUCs", () => {
    const text = formatModel(model()).join("\n");
    expect(text).toContain("random_forest classification of species");
    expect(text).toMatch(/accuracy\s+0\.9500/);
    expect(text).toMatch(/accuracy\s+0\.9300\s+0\.0200\s+0\.9100 0\.9500/);
    expect(text).toMatch(/setosa\s+10\s+0\n\s+virginica\s+1\s+9/);
    expect(text.indexOf("petal  ")).toBeLessThan(text.indexOf("sepal  ", text.indexOf("feature importance")));
    expect(text).toMatch(/virginica\s+0\.9900/);
  });

  it("leaves out what a regressor does not have", () => {
    const text = formatModel(model({ task: "regression", classes: undefined, confusionMatrix: undefined, rocCurve: undefined, cvMetrics: undefined })).join("\n");
    expect(text).not.toContain("confusion matrix");
    expect(text).not.toContain("ROC AUC");
    expect(text).not.toContain("cross-validation");
  });

  it("builds the list filter query", () => {
    expect(listQuery(parseArgs(["ls"]))).toBe("");
    expect(listQuery(parseArgs(["ls", "--training", "t-1", "--dataset", "ds_1"]))).toBe("?trainingId=t-1&datasetId=ds_1");
  });
});
