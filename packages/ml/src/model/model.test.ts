import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FitCancelledError, type Progress } from "../core/estimator.js";
import type { FeatureColumn } from "../preprocess/preprocessor.js";
import { modelBytes, ModelFormatError, parseModel, readModel, writeModel, type ModelDocument } from "./document.js";
import { loadModel, PredictInputError } from "./model.js";
import { testAlgorithm } from "./test-algorithms.js";
import { evaluateCvFold, mergeCvMetrics, trainModel, TrainInputError } from "./train.js";

// Test-only stand-ins for the real algorithms: a nearest-centroid classifier / mean regressor.
const algorithms = {
  knn: testAlgorithm("knn", { scaling: true }),
  decision_tree: testAlgorithm("decision_tree", { importances: true }),
};

function iris(): { columns: FeatureColumn[]; rows: Record<string, unknown>[] } {
  const path = fileURLToPath(new URL("../../../../test/fixtures/iris.csv", import.meta.url));
  const lines = readFileSync(path, "utf8").trim().split("\n");
  const header = lines[0]!.split(",");
  const cells = lines.slice(1).map((l) => l.split(","));
  const columns: FeatureColumn[] = header.map((name, j) =>
    j < 4 ? { name, type: "number", values: Float64Array.from(cells, (c) => Number(c[j])) } : { name, type: "category", values: cells.map((c) => c[j]!) },
  );
  const rows = cells.map((c) => Object.fromEntries(header.map((h, j) => [h, j < 4 ? Number(c[j]) : c[j]])));
  return { columns, rows };
}

const FIXED = () => new Date("2026-11-22T22:00:00.000Z");

async function roundTrip(doc: ModelDocument): Promise<ModelDocument> {
  return readModel(writeModel(doc));
}

describe("trainModel end to end on iris", () => {
  it("classification: metrics, CV, confusion matrix, ROC, importances, progress, round trip", async () => {
    const { columns, rows } = iris();
    const progress: Progress[] = [];
    const { document, model } = await trainModel(
      { columns, target: "species", task: "classification", algorithm: "knn", cvFolds: 5, seed: 42, onProgress: (p) => progress.push(p), now: FIXED },
      algorithms,
    );
    expect(document.format).toBe("dml-model");
    expect(document.classes).toEqual(["setosa", "versicolor", "virginica"]);
    expect(document.features.map((f) => f.name)).toEqual(columns.slice(0, 4).map((c) => c.name));
    expect(document.training).toMatchObject({ rows: 150, trainRows: 120, testRows: 30, cvFolds: 5, seed: 42 });
    expect(document.preprocessing.scale).toBeDefined(); // the knn stand-in wants scaling
    expect(Object.keys(document.metrics).sort()).toEqual(["accuracy", "f1Macro", "f1Weighted", "logLoss", "precisionMacro", "precisionWeighted", "recallMacro", "recallWeighted", "rocAuc"]);
    expect(document.metrics.accuracy).toBeGreaterThan(0.75); // nearest centroid on scaled iris
    expect(document.cvMetrics!.accuracy!.folds).toHaveLength(5);
    expect(document.cvMetrics!.accuracy!.mean).toBeGreaterThan(0.75);
    expect(document.cvMetrics!.accuracy!.std).toBeGreaterThanOrEqual(0);
    const cm = document.confusionMatrix!;
    expect(cm.labels).toEqual(["setosa", "versicolor", "virginica"]);
    expect(cm.rows.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([10, 10, 10]); // stratified test split
    expect(document.rocCurve!.map((c) => c.positiveClass)).toEqual(["setosa", "versicolor", "virginica"]);
    for (const c of document.rocCurve!) {
      expect(c.points[0]).toEqual({ fpr: 0, tpr: 0, threshold: Infinity });
      expect(c.points.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    }
    expect(document.featureImportanceKind).toBe("permutation");
    expect(Object.keys(document.featureImportance!)).toHaveLength(4);
    expect(document.featureImportance!["petal length (cm)"]).toBeGreaterThan(0);
    // Progress: monotonic, ends at 1, names the folds.
    expect(progress.map((p) => p.fraction)).toEqual([...progress.map((p) => p.fraction)].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual({ fraction: 1, message: "done" });
    expect(progress.some((p) => p.message.startsWith("fold 3/5: "))).toBe(true);

    const before = model.predict(rows);
    expect(before.predictions).toHaveLength(150);
    expect(before.probabilities![0]).toHaveProperty("setosa");
    const sum = Object.values(before.probabilities![0]!).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 12);
    // Deterministic: same seed -> same document.
    const again = await trainModel({ columns, target: "species", task: "classification", algorithm: "knn", cvFolds: 5, seed: 42, now: FIXED }, algorithms);
    expect((await modelBytes(again.document)).equals(await modelBytes(document))).toBe(true);
    // Round trip through the stream: identical predictions.
    const loaded = loadModel(await roundTrip(document), algorithms);
    expect(loaded.predict(rows)).toEqual(before);
    expect(loaded.document.rocCurve![0]!.points[0]!.threshold).toBe(Infinity);
    // One row; extra keys (the target) ignored.
    expect(loaded.predict([rows[0]!]).predictions).toEqual(["setosa"]);
  });

  it("impurity importances are summed per input column", async () => {
    const { columns } = iris();
    const { document } = await trainModel({ columns, target: "species", task: "classification", algorithm: "decision_tree" }, algorithms);
    expect(document.featureImportanceKind).toBe("impurity");
    const total = Object.values(document.featureImportance!).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 12);
    expect(document.preprocessing.scale).toBeUndefined();
  });

  it("copes with algorithms whose state() is already encoded and whose load() decodes", async () => {
    const { columns, rows } = iris();
    const algs = { naive_bayes: testAlgorithm("naive_bayes", { encodedState: true }) };
    const { document, model } = await trainModel({ columns, target: "species", task: "classification", algorithm: "naive_bayes" }, algs);
    const loaded = loadModel(await roundTrip(document), algs);
    expect(loaded.predict(rows)).toEqual(model.predict(rows));
  });

  it("regression", async () => {
    const { columns, rows } = iris();
    const { document, model } = await trainModel({ columns, target: "petal width (cm)", task: "regression", algorithm: "knn", cvFolds: 3 }, algorithms);
    expect(Object.keys(document.metrics).sort()).toEqual(["mae", "mse", "r2", "rmse"]);
    expect(document.metrics.rmse).toBeCloseTo(Math.sqrt(document.metrics.mse!), 12);
    expect(document.classes).toBeUndefined();
    expect(document.confusionMatrix).toBeUndefined();
    expect(document.features.map((f) => f.type)).toEqual(["number", "number", "number", "category"]);
    expect(Object.keys(document.cvMetrics!).sort()).toEqual(["mae", "mse", "r2", "rmse"]);
    const p = model.predict(rows.slice(0, 2)).predictions;
    expect(typeof p[0]).toBe("number");
    const loaded = loadModel(await roundTrip(document), algorithms);
    expect(loaded.predict(rows.slice(0, 2))).toEqual({ predictions: p });
  });

  it("cancels promptly", async () => {
    const { columns } = iris();
    const ac = new AbortController();
    const run = trainModel({ columns, target: "species", task: "classification", algorithm: "knn", cvFolds: 5, signal: ac.signal, onProgress: () => ac.abort() }, algorithms);
    await expect(run).rejects.toBeInstanceOf(FitCancelledError);
  });
});

describe("labels, categories, missing values and edge cases", () => {
  const n = 40;
  const columns = (): FeatureColumn[] => [
    { name: "x", type: "number", values: Float64Array.from({ length: n }, (_, i) => (i % 4 === 0 ? NaN : i % 2)) },
    { name: "color", type: "category", values: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i % 2 ? "red" : "blue")) },
    { name: "flag", type: "boolean", values: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i % 2 === 1)) },
    { name: "constant", type: "integer", values: new Float64Array(n).fill(3) },
    { name: "allMissing", type: "number", values: new Float64Array(n).fill(NaN) },
    { name: "label", type: "boolean", values: Array.from({ length: n }, (_, i) => (i === 7 ? null : i % 2 === 1)) },
  ];

  it("boolean labels, missing targets dropped, unseen categories and nulls at predict", async () => {
    const { document, model } = await trainModel({ columns: columns(), target: "label", task: "classification", algorithm: "knn", cvFolds: 3 }, algorithms);
    expect(document.classes).toEqual([false, true]);
    expect(document.training!.droppedRows).toBe(1);
    expect(document.rocCurve!.map((c) => c.positiveClass)).toEqual(["true"]);
    const row = { x: 1, color: "purple", flag: null, constant: 3, allMissing: null };
    const r = model.predict([row]);
    expect(typeof r.predictions[0]).toBe("boolean");
    expect(Object.keys(r.probabilities![0]!)).toEqual(["false", "true"]);
    const loaded = loadModel(await roundTrip(document), algorithms);
    expect(loaded.predict([row])).toEqual(r);
  });

  it("numeric labels keep their type", async () => {
    const cols = columns();
    cols[5] = { name: "label", type: "integer", values: Float64Array.from({ length: n }, (_, i) => [10, 2, 33][i % 3]!) };
    const { document, model } = await trainModel({ columns: cols, target: "label", task: "classification", algorithm: "knn" }, algorithms);
    expect(document.classes).toEqual([2, 10, 33]);
    expect(document.confusionMatrix!.labels).toEqual(["2", "10", "33"]);
    expect([2, 10, 33]).toContain(model.predict([{ x: 0, color: "red", flag: true, constant: 3, allMissing: 1 }]).predictions[0]);
  });

  it("CV with a class too small for every fold omits the undefined metrics", async () => {
    const cols = columns();
    cols[5] = { name: "label", type: "category", values: Array.from({ length: n }, (_, i) => (i < 3 ? "rare" : i % 2 ? "a" : "b")) };
    const { document } = await trainModel({ columns: cols, target: "label", task: "classification", algorithm: "knn", cvFolds: 5, testFraction: 0.25 }, algorithms);
    expect(document.cvMetrics!.accuracy!.folds).toHaveLength(5);
    expect(document.cvMetrics!.rocAuc).toBeUndefined(); // "rare" is absent from some test folds
    for (const m of Object.values(document.cvMetrics!)) expect(m.folds.every(Number.isFinite)).toBe(true);
    for (const v of Object.values(document.metrics)) expect(Number.isFinite(v)).toBe(true);
  });

  it("predict row validation names the row and column", async () => {
    const { model } = await trainModel({ columns: columns(), target: "label", task: "classification", algorithm: "knn" }, algorithms);
    const ok = { x: 1, color: "red", flag: true, constant: 3, allMissing: null };
    const err = (rows: Record<string, unknown>[], opts?: { unknownColumns: "error" }) => {
      try {
        model.predict(rows, opts);
      } catch (e) {
        return e as PredictInputError;
      }
      throw new Error("no error");
    };
    const missing = err([ok, { x: 1, color: "red", flag: true, constant: 3 }]);
    expect(missing).toBeInstanceOf(PredictInputError);
    expect(missing.message).toBe('row 1: missing column "allMissing" (use null for a missing value)');
    expect(err([{ ...ok, x: "1" }]).message).toMatch(/^row 0, column "x": expected a number or null, got string "1"/);
    expect(err([ok, ok, { ...ok, flag: "yes" }])).toMatchObject({ row: 2, column: "flag" });
    expect(err([{ ...ok, color: 5 }])).toMatchObject({ row: 0, column: "color" });
    expect(err([{ ...ok, label: true }], { unknownColumns: "error" })).toMatchObject({ row: 0, column: "label" });
    expect(model.predict([{ ...ok, label: true }]).predictions).toHaveLength(1);
  });

  it("refuses bad requests with clear errors", async () => {
    const run = (o: Partial<Parameters<typeof trainModel>[0]>) => trainModel({ columns: columns(), target: "label", task: "classification", algorithm: "knn", ...o }, algorithms);
    await expect(run({ target: "nope" })).rejects.toThrow(/target column nope not found/);
    await expect(run({ algorithm: "svm" })).rejects.toThrow(TrainInputError);
    await expect(run({ params: { bogus: 1 } })).rejects.toThrow(/unknown parameter bogus/);
    await expect(run({ testFraction: 1 })).rejects.toThrow(/testFraction/);
    await expect(run({ task: "regression" })).rejects.toThrow(/numeric target/);
    const one = columns();
    one[5] = { name: "label", type: "category", values: new Array<string>(n).fill("only") };
    await expect(run({ columns: one })).rejects.toThrow(/single class/);
  });
});

describe("model document validation", () => {
  async function doc(): Promise<ModelDocument> {
    const { columns } = iris();
    return (await trainModel({ columns, target: "species", task: "classification", algorithm: "knn", now: FIXED }, algorithms)).document;
  }
  const mutate = async (f: (d: Record<string, unknown>) => void) => {
    const d = JSON.parse((await modelBytes(await doc())).toString("utf8")) as Record<string, unknown>;
    f(d);
    return () => parseModel(JSON.stringify(d));
  };

  it("starts with its self-description and keeps typed arrays as base64", async () => {
    const text = (await modelBytes(await doc())).toString("utf8");
    expect(text.startsWith('{\n"format":"dml-model",\n"version":1,\n"algorithm":"knn"')).toBe(true);
    expect(text).toContain('"centroids":{"$f64":"');
  });

  it("reads a stream cut at arbitrary byte boundaries; big typed arrays stream in pieces", async () => {
    const d = await doc();
    // A forest-sized state stand-in: 3 x 60k-element arrays next to the real centroids.
    const big = { ...d, estimator: { ...d.estimator, extra: { thresholds: Float64Array.from({ length: 60_000 }, (_, i) => i / 7), feature: Int32Array.from({ length: 60_000 }, (_, i) => i % 13), value: new Float32Array(60_000).fill(0.5) } } };
    const chunks: Uint8Array[] = [];
    for await (const c of writeModel(big)) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.byteLength).toBeLessThan(200 * 1024);
    const all = Buffer.concat(chunks);
    async function* odd() {
      for (let i = 0, k = 1; i < all.length; i += k, k = (k * 7 + 3) % 9973 || 1) yield all.subarray(i, Math.min(all.length, i + k));
    }
    const back = await readModel(odd());
    const extra = (back.estimator as { extra: { thresholds: Float64Array; feature: Int32Array; value: Float32Array } }).extra;
    expect(extra.thresholds).toEqual(big.estimator.extra.thresholds);
    expect(extra.feature).toEqual(big.estimator.extra.feature);
    expect(extra.value).toEqual(big.estimator.extra.value);
    expect(back.metrics).toEqual(d.metrics);
    await expect(readModel(odd(), 1000)).rejects.toThrow(/larger than 1000 bytes/);
  });

  it("refuses wrong documents naming the problem", async () => {
    const cases: [(d: Record<string, unknown>) => void, RegExp][] = [
      [(d) => (d.format = "pickle"), /format is "pickle"/],
      [(d) => (d.version = 2), /unsupported version 2/],
      [(d) => (d.algorithm = "evil"), /unknown algorithm "evil"/],
      [(d) => (d.task = "clustering"), /unknown task/],
      [(d) => (d.features = (d.features as unknown[]).slice(1)), /preprocessing columns do not match features/],
      [(d) => (d.classes = ["a", "a", "b"]), /classes has duplicates/],
      [(d) => delete d.classes, /classes must be a non-empty array/],
      [(d) => ((d.confusionMatrix as { rows: number[][] }).rows = [[1]]), /confusionMatrix.rows must be 3 x 3/],
      [(d) => (d.estimator = "x"), /estimator must be an object/],
      [(d) => ((d.preprocessing as { columns: unknown }).columns = 5), /columns must be an array/],
    ];
    for (const [f, re] of cases) expect(await mutate(f), String(re)).toThrow(re);
    expect(() => parseModel("not json")).toThrow(ModelFormatError);
    expect(() => parseModel('{"format":"dml-model"} {}')).toThrow(/not valid JSON/);
  });

  it("refuses an estimator state the algorithm cannot load, and an unavailable algorithm", async () => {
    // The estimator's contents are the algorithm's to check: the document parses, loading refuses it.
    const bad = await mutate((d) => ((d.estimator as Record<string, unknown>).k = 7));
    expect(bad).not.toThrow();
    const d = JSON.parse((await modelBytes(await doc())).toString("utf8")) as Record<string, Record<string, unknown>>;
    d.estimator!.k = 7;
    expect(() => loadModel(parseModel(JSON.stringify(d)), algorithms)).toThrow(/estimator state for knn: bad centroid state/);
    expect(() => loadModel(parseModel(JSON.stringify(d)), {})).toThrow(/algorithm knn is not available/);
  });
});

describe("cross-validation folds run one at a time (fold tasks)", () => {
  it("evaluateCvFold gives each fold's metrics exactly as trainModel's own CV, and cvMetrics passed in are recorded as they are", async () => {
    const { columns } = iris();
    const base = { columns, target: "species", task: "classification" as const, algorithm: "knn" as const, cvFolds: 4, seed: 3, now: FIXED };
    const { document } = await trainModel(base, algorithms);
    const folds = [];
    for (let f = 0; f < 4; f++) folds.push(await evaluateCvFold(base, f, algorithms));
    const merged = mergeCvMetrics(folds);
    expect(merged).toEqual(document.cvMetrics);
    const progress: Progress[] = [];
    const final = await trainModel({ ...base, cvMetrics: merged, onProgress: (p) => progress.push(p) }, algorithms);
    expect(final.document.cvMetrics).toEqual(merged);
    expect(final.document.metrics).toEqual(document.metrics);
    expect(final.document.training?.cvFolds).toBe(4);
    expect(progress.some((p) => p.message.startsWith("fold"))).toBe(false);
    await expect(evaluateCvFold(base, 4, algorithms)).rejects.toThrow(TrainInputError);
    await expect(evaluateCvFold({ ...base, cvFolds: 0 }, 0, algorithms)).rejects.toThrow(TrainInputError);
  });
});
