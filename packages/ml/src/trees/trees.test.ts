import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FitCancelledError, type Algorithm, type FittedEstimator, type Progress, type Target } from "../core/estimator.js";
import { fromRows, matrix, selectRows, type Matrix } from "../core/matrix.js";
import { ParamError } from "../core/params.js";
import { Random } from "../core/random.js";
import { decodeState, encodeState } from "../core/state.js";
import { decisionTree, gradientBoosting, randomForest } from "./index.js";

// ---- fixtures: a tiny CSV reader (numeric columns; the last column is the target) ----------
const SPECIES: Record<string, number> = { setosa: 0, versicolor: 1, virginica: 2 };
function loadCsv(name: string): { X: Matrix; y: number[] } {
  const text = readFileSync(new URL(`../../../../test/fixtures/${name}.csv`, import.meta.url), "utf8");
  const rows: number[][] = [];
  const y: number[] = [];
  for (const line of text.trim().split("\n").slice(1)) {
    const cells = line.split(",");
    const last = cells.pop()!;
    rows.push(cells.map(Number));
    y.push(last in SPECIES ? SPECIES[last]! : Number(last));
  }
  return { X: fromRows(rows), y };
}

/** 80/20 split by a seeded shuffle (new Random(42)); the reference numbers below use the same indices. */
function split(name: string, task: "classification" | "regression") {
  const { X, y } = loadCsv(name);
  const perm = new Random(42).shuffle(Int32Array.from({ length: X.rows }, (_, i) => i));
  const nTest = Math.round(X.rows * 0.2);
  const test = perm.subarray(0, nTest);
  const train = perm.subarray(nTest);
  const ytr = Array.from(train, (i) => y[i]!);
  const target: Target = task === "classification" ? { task, y: Int32Array.from(ytr), nClasses: 3 } : { task, y: Float64Array.from(ytr) };
  return { Xtr: selectRows(X, train), Xte: selectRows(X, test), target, yte: Array.from(test, (i) => y[i]!) };
}

function accuracy(y: number[], p: ArrayLike<number>): number {
  let ok = 0;
  y.forEach((v, i) => (ok += v === p[i] ? 1 : 0));
  return ok / y.length;
}
function r2(y: number[], p: ArrayLike<number>): number {
  const mu = y.reduce((s, v) => s + v, 0) / y.length;
  let ss = 0;
  let st = 0;
  y.forEach((v, i) => {
    ss += (v - p[i]!) ** 2;
    st += (v - mu) ** 2;
  });
  return 1 - ss / st;
}

// Reference scores: scikit-learn 1.2.1 (Debian python3-sklearn), default parameters, fitted on
// the same train rows and scored on the same test rows (the indices of split() above were
// written to a file and read by /usr/bin/python3): DecisionTree/RandomForest/GradientBoosting
// {Classifier,Regressor}(random_state=s). seed0 = random_state 0; mean5 = mean over 0..4.
const SK = {
  iris: { dt: 0.9667, rf: 1.0, gb: 1.0 }, // 30 test rows: one row = 0.033
  wine: { dt: 0.9167, rf: 1.0, gb: 1.0 }, // 36 test rows: one row = 0.028
  diabetes: { dtMin5: -0.1909, rfMean5: 0.4382, gb: 0.4127 },
};

async function fitPredict(a: Algorithm, d: ReturnType<typeof split>, seed = 0, params = {}): Promise<ArrayLike<number>> {
  const m = await a.fit(d.Xtr, d.target, params, { seed });
  return m.predict(d.Xte);
}

describe("tree algorithms vs scikit-learn on the fixtures", () => {
  for (const name of ["iris", "wine"] as const) {
    const d = split(name, "classification");
    const oneRow = 1 / d.yte.length + 1e-9;
    it(`${name}: decision_tree, random_forest, gradient_boosting within one test row of scikit-learn`, async () => {
      expect(accuracy(d.yte, await fitPredict(decisionTree, d))).toBeGreaterThanOrEqual(SK[name].dt - oneRow);
      expect(accuracy(d.yte, await fitPredict(randomForest, d))).toBeGreaterThanOrEqual(SK[name].rf - oneRow);
      expect(accuracy(d.yte, await fitPredict(gradientBoosting, d))).toBeGreaterThanOrEqual(SK[name].gb - oneRow);
    });
  }

  it("diabetes: regression R2 close to scikit-learn", async () => {
    const d = split("diabetes", "regression");
    // A fully grown single tree is dominated by tie-breaking; scikit-learn's 5 seeds range -0.19..-0.09.
    expect(r2(d.yte, await fitPredict(decisionTree, d))).toBeGreaterThanOrEqual(SK.diabetes.dtMin5 - 0.02);
    let rf = 0;
    for (let s = 0; s < 5; s++) rf += r2(d.yte, await fitPredict(randomForest, d, s)) / 5;
    expect(rf).toBeGreaterThanOrEqual(SK.diabetes.rfMean5 - 0.025);
    expect(r2(d.yte, await fitPredict(gradientBoosting, d))).toBeGreaterThanOrEqual(SK.diabetes.gb - 0.02);
  });

  it("gradient_boosting subsample and entropy criterion still fit well", async () => {
    const d = split("wine", "classification");
    expect(accuracy(d.yte, await fitPredict(gradientBoosting, d, 0, { subsample: 0.7 }))).toBeGreaterThanOrEqual(0.94);
    expect(accuracy(d.yte, await fitPredict(randomForest, d, 0, { criterion: "entropy" }))).toBeGreaterThanOrEqual(0.94);
  });
});

const ALL: [string, Algorithm][] = [
  ["decision_tree", decisionTree],
  ["random_forest", randomForest],
  ["gradient_boosting", gradientBoosting],
];
const SMALL = { n_estimators: 10 };
const paramsFor = (a: Algorithm) => (a === decisionTree ? {} : SMALL);

function roundTrip(a: Algorithm, m: FittedEstimator, task: "classification" | "regression"): FittedEstimator {
  const json = JSON.stringify(encodeState(m.state()));
  return a.load(decodeState(JSON.parse(json)) as Record<string, unknown>, task);
}

describe.each(ALL)("%s", (_name, a) => {
  const iris = split("iris", "classification");
  const diab = split("diabetes", "regression");

  it("is deterministic for a seed and round-trips state exactly", async () => {
    for (const d of [iris, diab]) {
      const m1 = await a.fit(d.Xtr, d.target, paramsFor(a), { seed: 7 });
      const m2 = await a.fit(d.Xtr, d.target, paramsFor(a), { seed: 7 });
      expect(m2.predict(d.Xte)).toEqual(m1.predict(d.Xte));
      expect(JSON.stringify(encodeState(m2.state()))).toEqual(JSON.stringify(encodeState(m1.state())));
      const back = roundTrip(a, m1, d.target.task);
      expect(back.predict(d.Xte)).toEqual(m1.predict(d.Xte));
      if (d.target.task === "classification") expect(back.predictProba!(d.Xte)).toEqual(m1.predictProba!(d.Xte));
      expect(back.featureImportances!()).toEqual(m1.featureImportances!());
    }
  });

  it("gives probabilities that sum to 1 and importances that sum to 1", async () => {
    const m = await a.fit(iris.Xtr, iris.target, paramsFor(a), { seed: 1 });
    const p = m.predictProba!(iris.Xte);
    expect(p.length).toBe(iris.Xte.rows * 3);
    for (let i = 0; i < iris.Xte.rows; i++) expect(p[i * 3]! + p[i * 3 + 1]! + p[i * 3 + 2]!).toBeCloseTo(1, 12);
    const imp = m.featureImportances!();
    expect(imp.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    // petal length/width carry iris
    expect(imp[2]! + imp[3]!).toBeGreaterThan(0.5);
  });

  it("never splits on a constant column; predicts one row", async () => {
    const n = iris.Xtr.rows;
    const X = matrix(n, 5);
    X.data.set(iris.Xtr.data.subarray(0, 2 * n), 0); // sepal length, width
    X.data.fill(3.5, 2 * n, 3 * n); // constant
    X.data.set(iris.Xtr.data.subarray(2 * n, 4 * n), 3 * n);
    const m = await a.fit(X, iris.target, paramsFor(a), { seed: 0 });
    expect(m.featureImportances!()[2]).toBe(0);
    const feats = (m.state() as { trees: { feature: Int32Array } }).trees.feature;
    expect(Array.from(feats).includes(2)).toBe(false);
    const one = fromRows([[6.5, 3.0, 3.5, 5.5, 2.0]]);
    expect(Array.from(m.predict(one))).toEqual([2]);
    expect(m.predictProba!(one).length).toBe(3);
  });

  it("fits a single-class target: that class with probability 1", async () => {
    const X = fromRows([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const m = await a.fit(X, { task: "classification", y: new Int32Array([1, 1, 1, 1]), nClasses: 3 }, paramsFor(a), { seed: 0 });
    expect(Array.from(m.predict(fromRows([[0, 0], [9, 9]])))).toEqual([1, 1]);
    expect(Array.from(m.predictProba!(fromRows([[0, 0]])))).toEqual([0, 1, 0]);
    const back = roundTrip(a, m, "classification");
    expect(Array.from(back.predict(fromRows([[4, 4]])))).toEqual([1]);
  });

  it("fits a constant regression target and a 1-row training set", async () => {
    const X = fromRows([[1, 2], [3, 4], [5, 6]]);
    const m = await a.fit(X, { task: "regression", y: new Float64Array([2.5, 2.5, 2.5]) }, paramsFor(a), { seed: 0 });
    expect(Array.from(m.predict(fromRows([[0, 0]])))[0]).toBeCloseTo(2.5, 12);
    const m1 = await a.fit(fromRows([[1, 2]]), { task: "regression", y: new Float64Array([4]) }, paramsFor(a), { seed: 0 });
    expect(Array.from(m1.predict(fromRows([[0, 0]])))[0]).toBeCloseTo(4, 12);
  });

  it("reports monotonic progress ending at 1, and stops when cancelled", async () => {
    const seen: Progress[] = [];
    await a.fit(iris.Xtr, iris.target, paramsFor(a), { seed: 0, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.fraction).toBeGreaterThan(seen[i - 1]!.fraction);
    expect(seen.at(-1)!.fraction).toBe(1);
    const ac = new AbortController();
    ac.abort();
    await expect(a.fit(iris.Xtr, iris.target, paramsFor(a), { seed: 0, signal: ac.signal })).rejects.toBeInstanceOf(FitCancelledError);
  });

  it("refuses bad parameters naming them", async () => {
    const bad: Record<string, unknown>[] = [{ max_depth: 0 }, { min_samples_leaf: 0 }, { max_features: "half" }, { nope: 1 }];
    const names = ["max_depth", "min_samples_leaf", "max_features", "nope"];
    for (let i = 0; i < bad.length; i++) {
      const err = await a.fit(iris.Xtr, iris.target, bad[i] as never, { seed: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ParamError);
      expect((err as ParamError).param).toBe(names[i]);
      expect((err as Error).message).toContain(names[i]);
    }
  });

  it("refuses a corrupted state", async () => {
    const m = await a.fit(iris.Xtr, iris.target, paramsFor(a), { seed: 0 });
    const s = decodeState(JSON.parse(JSON.stringify(encodeState(m.state())))) as { trees: { left: Int32Array } };
    s.trees.left[0] = 0; // a node pointing to itself
    expect(() => a.load(s as never, "classification")).toThrow(/invalid/);
    expect(() => a.load(m.state(), "regression")).toThrow(/invalid/);
  });
});

describe("random_forest specifics", () => {
  const d = split("wine", "classification");
  it("different seeds give different forests; progress says tree k/n", async () => {
    const msgs: string[] = [];
    const m1 = await randomForest.fit(d.Xtr, d.target, { n_estimators: 5 }, { seed: 1, onProgress: (p) => msgs.push(p.message) });
    const m2 = await randomForest.fit(d.Xtr, d.target, { n_estimators: 5 }, { seed: 2 });
    expect(m1.predictProba!(d.Xte)).not.toEqual(m2.predictProba!(d.Xte));
    expect(msgs).toEqual(["tree 1/5", "tree 2/5", "tree 3/5", "tree 4/5", "tree 5/5"]);
  });
  it("cancels between trees", async () => {
    const ac = new AbortController();
    let count = 0;
    const p = randomForest.fit(d.Xtr, d.target, { n_estimators: 50 }, {
      seed: 0,
      signal: ac.signal,
      onProgress: () => {
        if (++count === 3) ac.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(FitCancelledError);
    expect(count).toBe(3);
  });
  it("max_depth bounds the trees; bootstrap false + all features equals a decision tree", async () => {
    const m = await randomForest.fit(d.Xtr, d.target, { n_estimators: 3, max_depth: 2 }, { seed: 0 });
    const t = (m.state() as { trees: { nodeOffset: Int32Array } }).trees;
    for (let i = 0; i < 3; i++) expect(t.nodeOffset[i + 1]! - t.nodeOffset[i]!).toBeLessThanOrEqual(7);
    const f = await randomForest.fit(d.Xtr, d.target, { n_estimators: 1, bootstrap: false, max_features: 1.0 }, { seed: 0 });
    const dt = await decisionTree.fit(d.Xtr, d.target, {}, { seed: 0 });
    expect(f.predictProba!(d.Xte)).toEqual(dt.predictProba!(d.Xte));
  });
});

describe("state", () => {
  it("is compact: under 20 JSON bytes per node for a regression forest", async () => {
    const d = split("diabetes", "regression");
    const m = await randomForest.fit(d.Xtr, d.target, { n_estimators: 10 }, { seed: 0 });
    const s = m.state() as { trees: { feature: Int32Array } };
    const nodes = s.trees.feature.length;
    expect(nodes).toBeGreaterThan(1000);
    expect(JSON.stringify(encodeState(s)).length / nodes).toBeLessThan(20);
  });
});

describe("gradient_boosting specifics", () => {
  it("binary classification with classes 0 and 2 of 3", async () => {
    const d = split("iris", "classification");
    const keep = Array.from(d.target.y.keys()).filter((i) => d.target.y[i] !== 1);
    const X = selectRows(d.Xtr, keep);
    const y = Int32Array.from(keep, (i) => d.target.y[i]!);
    const m = await gradientBoosting.fit(X, { task: "classification", y, nClasses: 3 }, { n_estimators: 20 }, { seed: 0 });
    expect((m.state() as { mode: string }).mode).toBe("binary");
    const p = m.predictProba!(X);
    for (let i = 0; i < X.rows; i++) expect(p[i * 3 + 1]).toBe(0);
    expect(accuracy(Array.from(y), m.predict(X))).toBe(1);
  });
  it("progress per round", async () => {
    const d = split("iris", "classification");
    const msgs: string[] = [];
    await gradientBoosting.fit(d.Xtr, d.target, { n_estimators: 3 }, { seed: 0, onProgress: (p) => msgs.push(p.message) });
    expect(msgs).toEqual(["round 1/3", "round 2/3", "round 3/3"]);
  });
});
