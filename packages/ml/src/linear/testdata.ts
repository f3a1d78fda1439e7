// Test-only helpers shared by the linear, bayes, neighbors and svm tests: a tiny CSV reader for
// the fixtures in /test/fixtures, a seeded 80/20 split and train-split standardisation. The same
// split and scaling were dumped to JSON and fed to scikit-learn 1.2.1 (Debian python3-sklearn) to
// compute the reference scores stored in the tests.

import { readFileSync } from "node:fs";
import type { Algorithm, EstimatorState, FittedEstimator, Target, Task } from "../core/estimator.js";
import { type Matrix, fromRows, matrix, selectRows } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { encodeState } from "../core/state.js";

export interface Dataset {
  X: Matrix;
  /** Classification: labels encoded 0..k-1 (sorted unique values); regression: the values. */
  y: number[];
  nClasses: number;
}

const FIXTURES = new URL("../../../../test/fixtures/", import.meta.url);

/** Last column is the target; every other column numeric. */
export function loadFixture(name: "iris" | "wine" | "diabetes"): Dataset {
  const text = readFileSync(new URL(`${name}.csv`, FIXTURES), "utf8");
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0).slice(1);
  const rows: number[][] = [];
  const labels: string[] = [];
  for (const line of lines) {
    const cells = line.split(",");
    labels.push(cells.pop()!);
    rows.push(cells.map(Number));
  }
  if (name === "diabetes") return { X: fromRows(rows), y: labels.map(Number), nClasses: 0 };
  const classes = [...new Set(labels)].sort();
  return { X: fromRows(rows), y: labels.map((l) => classes.indexOf(l)), nClasses: classes.length };
}

export interface Split {
  train: number[];
  test: number[];
}

/** Seeded shuffle, first 80% train (not stratified: the same indices go to scikit-learn). */
export function split8020(n: number, seed = 42): Split {
  const idx = new Random(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const nTrain = Math.round(n * 0.8);
  return { train: idx.slice(0, nTrain), test: idx.slice(nTrain) };
}

/** StandardScaler fitted on `fitOn` (population std; a zero std scales by 1), applied to each. */
export function standardise(fitOn: Matrix, ...apply: Matrix[]): Matrix[] {
  const mean = new Float64Array(fitOn.cols);
  const scale = new Float64Array(fitOn.cols);
  for (let j = 0; j < fitOn.cols; j++) {
    let s = 0;
    for (let i = 0; i < fitOn.rows; i++) s += fitOn.data[j * fitOn.rows + i]!;
    const m = s / fitOn.rows;
    let v = 0;
    for (let i = 0; i < fitOn.rows; i++) v += (fitOn.data[j * fitOn.rows + i]! - m) ** 2;
    const sd = Math.sqrt(v / fitOn.rows);
    mean[j] = m;
    scale[j] = sd === 0 ? 1 : sd;
  }
  return [fitOn, ...apply].map((M) => {
    const out = matrix(M.rows, M.cols);
    for (let j = 0; j < M.cols; j++) for (let i = 0; i < M.rows; i++) out.data[j * M.rows + i] = (M.data[j * M.rows + i]! - mean[j]!) / scale[j]!;
    return out;
  });
}

export interface Prepared {
  Xtrain: Matrix;
  Xtest: Matrix;
  ytrain: number[];
  ytest: number[];
  nClasses: number;
}

export function prepare(name: "iris" | "wine" | "diabetes", scale: boolean, seed = 42): Prepared {
  const d = loadFixture(name);
  const s = split8020(d.X.rows, seed);
  let Xtrain = selectRows(d.X, s.train);
  let Xtest = selectRows(d.X, s.test);
  if (scale) [Xtrain, Xtest] = standardise(Xtrain, Xtest) as [Matrix, Matrix];
  return { Xtrain, Xtest, ytrain: s.train.map((i) => d.y[i]!), ytest: s.test.map((i) => d.y[i]!), nClasses: d.nClasses };
}

export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

export function r2(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < yTrue.length; i++) m += yTrue[i]!;
  m /= yTrue.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    ssRes += (yTrue[i]! - yPred[i]!) ** 2;
    ssTot += (yTrue[i]! - m) ** 2;
  }
  return 1 - ssRes / ssTot;
}

/**
 * state() (raw typed arrays) -> tagged base64 JSON text -> load() of the still-encoded form
 * (load() decodes). The raw form (what readModel yields) is loaded too, so both must be accepted;
 * algorithms.test.ts checks predictions after the full model-document round trip.
 */
export function roundTrip(alg: Algorithm, fitted: FittedEstimator, task: Task): FittedEstimator {
  const state = fitted.state();
  for (const v of Object.values(state)) {
    if (v && typeof v === "object" && !ArrayBuffer.isView(v) && Object.keys(v).some((k) => k.startsWith("$"))) throw new Error("state() must return raw typed arrays, not their encoded form");
  }
  alg.load(state, task);
  return alg.load(JSON.parse(JSON.stringify(encodeState(state))) as EstimatorState, task);
}

export function classTarget(y: ArrayLike<number>, nClasses: number): Target {
  return { task: "classification", y: Int32Array.from(y), nClasses };
}

export function regTarget(y: ArrayLike<number>): Target {
  return { task: "regression", y: Float64Array.from(y) };
}

/** X with an extra constant column (value c) appended. */
export function withConstantColumn(X: Matrix, c = 3.5): Matrix {
  const out = matrix(X.rows, X.cols + 1);
  out.data.set(X.data);
  out.data.fill(c, X.rows * X.cols);
  return out;
}
