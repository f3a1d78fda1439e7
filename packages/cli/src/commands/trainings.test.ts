import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../args.js";
import { trainRequestFromArgs } from "./trainings.js";

const BASE = ["--dataset", "ds1", "--target", "label", "--task", "classification", "--models", "random_forest,svm"];
const request = (extra: string[] = [], base = BASE) => trainRequestFromArgs(parseArgs([...base, ...extra], new Set(["json", "watch"])));
const without = (flag: string) => {
  const i = BASE.indexOf(flag);
  return [...BASE.slice(0, i), ...BASE.slice(i + 2)];
};

describe("dml train arguments", () => {
  it("builds the POST /v1/trainings body with only the flags given", () => {
    expect(request()).toEqual({
      datasetId: "ds1",
      target: "label",
      task: "classification",
      models: [{ algorithm: "random_forest" }, { algorithm: "svm" }],
    });
  });

  it("passes --test-fraction, --cv and --seed through as numbers", () => {
    expect(request(["--test-fraction", "0.25", "--cv=5", "--seed", "7", "--watch", "--json"])).toMatchObject({ testFraction: 0.25, cvFolds: 5, seed: 7 });
    expect(request(["--cv", "0"]).cvFolds).toBe(0);
  });

  it.each([
    ["--dataset", "--dataset ID is required"],
    ["--target", "--target COLUMN is required"],
    ["--task", "--task classification|regression is required"],
    ["--models", "--models ALGORITHM,... is required"],
  ])("names the missing flag %s", (flag, message) => {
    expect(() => request([], without(flag))).toThrow(UsageError);
    expect(() => request([], without(flag))).toThrow(message);
  });

  it("rejects a bad task, an unknown algorithm, unknown flags and stray arguments", () => {
    expect(() => request(["--task", "clustering"])).toThrow('--task must be classification or regression, got "clustering"');
    expect(() => request(["--models", "random_forest,xgboost"])).toThrow('--models: unknown algorithm "xgboost"');
    expect(() => request(["--models", "random_forest,,svm"])).toThrow('unknown algorithm ""');
    expect(() => request(["--epochs", "3"])).toThrow("unknown flag --epochs");
    expect(() => request(["extra"])).toThrow('unexpected argument "extra"');
  });

  it.each([
    ["--test-fraction", "0", "--test-fraction must be a number between 0 and 1"],
    ["--test-fraction", "1", "--test-fraction must be a number between 0 and 1"],
    ["--test-fraction", "abc", "--test-fraction must be a number between 0 and 1"],
    ["--cv", "1", "--cv must be 0 (no cross-validation) or at least 2 folds"],
    ["--cv", "2.5", "--cv must be an integer between 0 and 20"],
    ["--seed", "-1", "--seed must be an integer between 0 and 2147483647"],
  ])("rejects %s %s", (flag, value, message) => {
    expect(() => request([flag, value])).toThrow(UsageError);
    expect(() => request([flag, value])).toThrow(message);
  });

  it("attaches --params by algorithm", () => {
    const r = request(["--params", '{"random_forest":{"n_estimators":50,"max_depth":8}}']);
    expect(r.models).toEqual([{ algorithm: "random_forest", params: { n_estimators: 50, max_depth: 8 } }, { algorithm: "svm" }]);
  });

  it("attaches --params given as one entry per model, for an algorithm listed twice", () => {
    const r = request(["--models", "random_forest,random_forest,svm", "--params", '[{"n_estimators":10},{"n_estimators":200},null]']);
    expect(r.models).toEqual([
      { algorithm: "random_forest", params: { n_estimators: 10 } },
      { algorithm: "random_forest", params: { n_estimators: 200 } },
      { algorithm: "svm" },
    ]);
  });

  it.each([
    ['{"random_forest":', "--params is not valid JSON"],
    ["42", "--params must be a JSON object"],
    ['{"knn":{"n_neighbors":3}}', '--params has parameters for "knn", which is not in --models (random_forest,svm)'],
    ['{"svm":5}', "--params.svm must be an object of parameters"],
    ["[{}]", "--params as an array needs one entry per model (2), got 1"],
    ['[{}, "C=1"]', "--params[1] (svm) must be an object of parameters"],
  ])("rejects --params %s", (raw, message) => {
    expect(() => request(["--params", raw])).toThrow(UsageError);
    expect(() => request(["--params", raw])).toThrow(message);
  });
});
