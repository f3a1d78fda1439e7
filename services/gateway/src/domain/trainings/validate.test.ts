import { describe, expect, it } from "vitest";
import { DmlError } from "@dml/runtime";
import type { ColumnManifest, DatasetManifest } from "@dml/catalog";
import { checkAgainstDataset, checkCreateRequest, type CreateTrainingRequest } from "./validate.js";

const base = { datasetId: "ds_1", target: "species", task: "classification", models: [{ algorithm: "random_forest" }] };

function column(name: string, type: ColumnManifest["type"], distinct: number): ColumnManifest {
  return { name, type, missing: 0, stats: { distinct } };
}

function dataset(rows: number, columns: ColumnManifest[]): DatasetManifest {
  return { id: "ds_1", name: "iris", rows, columns, batches: [], bytes: 0, createdAt: "2024-01-01T00:00:00.000Z", replication: 1, warnings: [] };
}

const iris = dataset(150, [column("sepal", "number", 35), column("species", "category", 3), column("price", "integer", 90), column("flag", "boolean", 2)]);

/** The DmlError a call throws, for asserting on its code, message and field. */
function errorOf(fn: () => unknown): DmlError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DmlError);
    return err as DmlError;
  }
  throw new Error("expected an error");
}

function expectInvalid(fn: () => unknown, field: string, message: RegExp): void {
  const err = errorOf(fn);
  expect(err.code).toBe("INVALID_ARGUMENT");
  expect(err.details["field"]).toBe(field);
  expect(err.message).toMatch(message);
}

describe("checkCreateRequest", () => {
  it("applies the defaults and keeps params as requested", () => {
    const req = checkCreateRequest({ ...base, models: [{ algorithm: "knn", params: { n_neighbors: 3 } }, { algorithm: "svm" }] });
    expect(req).toEqual({
      datasetId: "ds_1",
      target: "species",
      task: "classification",
      models: [
        { algorithm: "knn", params: { n_neighbors: 3 } },
        { algorithm: "svm", params: {} },
      ],
      testFraction: 0.2,
      cvFolds: 0,
      seed: 42,
    });
  });

  it("treats explicit nulls as absent", () => {
    const req = checkCreateRequest({ ...base, testFraction: null, cvFolds: null, seed: null, models: [{ algorithm: "svm", params: null }] });
    expect(req).toMatchObject({ testFraction: 0.2, cvFolds: 0, seed: 42, models: [{ params: {} }] });
  });

  it("refuses a body that is not an object", () => {
    expectInvalid(() => checkCreateRequest([1]), "body", /JSON object/);
    expectInvalid(() => checkCreateRequest("x"), "body", /JSON object/);
  });

  it("names a missing or malformed dataset id", () => {
    expectInvalid(() => checkCreateRequest({ ...base, datasetId: undefined }), "datasetId", /required/);
    expectInvalid(() => checkCreateRequest({ ...base, datasetId: "../etc" }), "datasetId", /\^\[A-Za-z0-9_-\]/);
  });

  it("names unknown fields", () => {
    expectInvalid(() => checkCreateRequest({ ...base, folds: 3 }), "folds", /unknown field folds/);
    expectInvalid(() => checkCreateRequest({ ...base, models: [{ algorithm: "svm", parms: {} }] }), "models[0].parms", /unknown field/);
  });

  it("checks target and task", () => {
    expectInvalid(() => checkCreateRequest({ ...base, target: "" }), "target", /required/);
    expectInvalid(() => checkCreateRequest({ ...base, task: "clustering" }), "task", /classification.*regression/);
  });

  it("checks the model list", () => {
    expectInvalid(() => checkCreateRequest({ ...base, models: [] }), "models", /non-empty/);
    expectInvalid(() => checkCreateRequest({ ...base, models: "svm" }), "models", /non-empty/);
    const many = Array.from({ length: 33 }, () => ({ algorithm: "knn" }));
    expectInvalid(() => checkCreateRequest({ ...base, models: many }), "models", /at most 32/);
    expect(checkCreateRequest({ ...base, models: many.slice(0, 32) }).models).toHaveLength(32);
    expectInvalid(() => checkCreateRequest({ ...base, models: ["svm"] }), "models[0]", /object/);
  });

  it("refuses unknown algorithms and ones that do not fit the task", () => {
    expectInvalid(() => checkCreateRequest({ ...base, models: [{ algorithm: "xgboost" }] }), "models[0].algorithm", /one of random_forest/);
    expectInvalid(() => checkCreateRequest({ ...base, models: [{ algorithm: "svm" }, { algorithm: "linear_regression" }] }), "models[1].algorithm", /does not do classification/);
    expectInvalid(() => checkCreateRequest({ ...base, task: "regression", models: [{ algorithm: "logistic_regression" }] }), "models[0].algorithm", /does not do regression/);
    expect(checkCreateRequest({ ...base, task: "regression", models: [{ algorithm: "linear_regression" }] }).task).toBe("regression");
  });

  it("names the model and the parameter of bad params", () => {
    const unknown = errorOf(() => checkCreateRequest({ ...base, models: [{ algorithm: "svm" }, { algorithm: "random_forest", params: { n_trees: 10 } }] }));
    expect(unknown.details).toMatchObject({ field: "models[1].params.n_trees", modelIndex: 1, param: "n_trees" });
    expect(unknown.message).toMatch(/models\[1\]\.params: unknown parameter n_trees/);
    const bad = errorOf(() => checkCreateRequest({ ...base, models: [{ algorithm: "random_forest", params: { n_estimators: 2.5 } }] }));
    expect(bad.details).toMatchObject({ field: "models[0].params.n_estimators", param: "n_estimators" });
    expect(bad.message).toMatch(/integer/);
    expectInvalid(() => checkCreateRequest({ ...base, models: [{ algorithm: "svm", params: [1] }] }), "models[0].params", /object/);
  });

  it("checks testFraction, cvFolds and seed ranges", () => {
    for (const testFraction of [0, 1, -0.1, 1.5, "0.2"]) {
      expectInvalid(() => checkCreateRequest({ ...base, testFraction }), "testFraction", /\(0, 1\)/);
    }
    for (const cvFolds of [-1, 21, 2.5, "5"]) expectInvalid(() => checkCreateRequest({ ...base, cvFolds }), "cvFolds", /0 to 20/);
    for (const seed of [-1, 2 ** 32, 1.5]) expectInvalid(() => checkCreateRequest({ ...base, seed }), "seed", /4294967295/);
    expect(checkCreateRequest({ ...base, testFraction: 0.5, cvFolds: 20, seed: 2 ** 32 - 1 })).toMatchObject({ testFraction: 0.5, cvFolds: 20, seed: 4294967295 });
  });
});

describe("checkAgainstDataset", () => {
  const req = (over: Partial<CreateTrainingRequest> = {}): CreateTrainingRequest => ({ ...checkCreateRequest(base), ...over });

  it("accepts a fitting request", () => {
    expect(() => checkAgainstDataset(req(), iris)).not.toThrow();
    expect(() => checkAgainstDataset(req({ task: "regression", target: "price" }), iris)).not.toThrow();
    expect(() => checkAgainstDataset(req({ target: "flag" }), iris)).not.toThrow();
  });

  it("names a target that is not a column", () => {
    expectInvalid(() => checkAgainstDataset(req({ target: "Species" }), iris), "target", /not a column.*columns: sepal, species/);
  });

  it("needs a numeric target for regression", () => {
    expectInvalid(() => checkAgainstDataset(req({ task: "regression" }), iris), "target", /numeric target.*category/);
    expectInvalid(() => checkAgainstDataset(req({ task: "regression", target: "flag" }), iris), "target", /boolean/);
  });

  it("needs two classes for classification", () => {
    const one = dataset(100, [column("x", "number", 50), column("species", "category", 1)]);
    expectInvalid(() => checkAgainstDataset(req(), one), "target", /single class/);
    const none = dataset(100, [column("x", "number", 50), column("species", "category", 0)]);
    expectInvalid(() => checkAgainstDataset(req(), none), "target", /no values/);
  });

  it("needs a feature column", () => {
    expectInvalid(() => checkAgainstDataset(req(), dataset(100, [column("species", "category", 3)])), "target", /no feature column/);
  });

  it("needs enough rows, and enough training rows for the folds", () => {
    const small = (rows: number) => dataset(rows, [column("x", "number", 5), column("species", "category", 2)]);
    expectInvalid(() => checkAgainstDataset(req(), small(9)), "datasetId", /9 rows.*at least 10/);
    expect(() => checkAgainstDataset(req(), small(10))).not.toThrow();
    // 10 rows, 20 % test -> 8 training rows.
    expect(() => checkAgainstDataset(req({ cvFolds: 8 }), small(10))).not.toThrow();
    expectInvalid(() => checkAgainstDataset(req({ cvFolds: 9 }), small(10)), "cvFolds", /leaves 8/);
  });
});
