// `npm run bench:ml`: fit and predict times and scores of every ML engine algorithm (issue 4) on
// generated data (seeded), and — when /usr/bin/python3 (or python3) can import scikit-learn — the
// same fits in scikit-learn (n_jobs=1, one BLAS/OpenMP thread) on the same rows in the same run,
// with the ratio DML / scikit-learn. Prints figures; asserts nothing.
//
// Besides wall-time ratios the table has CPU-time ratios (process CPU seconds on both sides), which
// other load on the machine disturbs much less.
//
// Data: 20 standard-normal features; a binary label from a noisy nonlinear function of 10 of them
// (classification) or that function plus noise (regression). 80% of the rows fit, 20% are
// predicted and scored (accuracy / R2); predict times are the best of 3 calls on both sides.
// Sizes: 100k rows for the trees, linear models and naive Bayes, 20k for SVM and KNN.
//
// Env: BENCH_ML_SCALE (default 1) multiplies the row counts; BENCH_ML_ONLY=a,b runs only those
// algorithms; BENCH_ML_SKLEARN=A,B keeps only the scikit-learn estimators whose names contain one
// of those strings (e.g. Hist, to skip the slow exact GradientBoosting*); BENCH_ML_TREES sets
// n_estimators of the ensembles (default 100, both libraries).
// The DML fits call Algorithm.fit on the numeric matrix directly (no preprocessing), as the
// scikit-learn estimators get it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accuracy, ALGORITHMS, matrix, Random, regressionMetrics, toRowMajor, type AlgorithmName, type Matrix, type ParamValues, type Target, type Task } from "@dml/ml";

const SCALE = Number(process.env["BENCH_ML_SCALE"] ?? 1);
if (!(SCALE > 0)) throw new Error(`BENCH_ML_SCALE must be > 0, got ${process.env["BENCH_ML_SCALE"]}`);
const ONLY = process.env["BENCH_ML_ONLY"]?.split(",").map((s) => s.trim()).filter(Boolean);
const SK_ONLY = process.env["BENCH_ML_SKLEARN"]?.split(",").map((s) => s.trim()).filter(Boolean);
const TREES = Number(process.env["BENCH_ML_TREES"] ?? 100);
const COLS = 20;
const PREDICT_RUNS = 3;
const BIG = Math.max(50, Math.round(100_000 * SCALE));
const SMALL = Math.max(50, Math.round(20_000 * SCALE));

interface Case {
  algorithm: AlgorithmName;
  task: Task;
  rows: number;
  params: ParamValues;
  /** scikit-learn estimators to compare with: label -> Python constructor expression. */
  sklearn: Record<string, string>;
}

const CASES: Case[] = [
  {
    algorithm: "random_forest",
    task: "classification",
    rows: BIG,
    params: { n_estimators: TREES },
    sklearn: { RandomForestClassifier: `RandomForestClassifier(n_estimators=${TREES}, n_jobs=1, random_state=0)` },
  },
  {
    algorithm: "random_forest",
    task: "regression",
    rows: BIG,
    params: { n_estimators: TREES },
    sklearn: { RandomForestRegressor: `RandomForestRegressor(n_estimators=${TREES}, n_jobs=1, random_state=0)` },
  },
  {
    algorithm: "gradient_boosting",
    task: "classification",
    rows: BIG,
    params: { n_estimators: TREES },
    sklearn: {
      HistGradientBoostingClassifier: `HistGradientBoostingClassifier(max_iter=${TREES}, max_depth=3, min_samples_leaf=1, early_stopping=False, random_state=0)`,
      GradientBoostingClassifier: `GradientBoostingClassifier(n_estimators=${TREES}, max_depth=3, random_state=0)`,
    },
  },
  {
    algorithm: "gradient_boosting",
    task: "regression",
    rows: BIG,
    params: { n_estimators: TREES },
    sklearn: {
      HistGradientBoostingRegressor: `HistGradientBoostingRegressor(max_iter=${TREES}, max_depth=3, min_samples_leaf=1, early_stopping=False, random_state=0)`,
      GradientBoostingRegressor: `GradientBoostingRegressor(n_estimators=${TREES}, max_depth=3, random_state=0)`,
    },
  },
  { algorithm: "decision_tree", task: "classification", rows: BIG, params: {}, sklearn: { DecisionTreeClassifier: "DecisionTreeClassifier(random_state=0)" } },
  { algorithm: "decision_tree", task: "regression", rows: BIG, params: {}, sklearn: { DecisionTreeRegressor: "DecisionTreeRegressor(random_state=0)" } },
  { algorithm: "linear_regression", task: "regression", rows: BIG, params: {}, sklearn: { LinearRegression: "LinearRegression()" } },
  { algorithm: "logistic_regression", task: "classification", rows: BIG, params: {}, sklearn: { LogisticRegression: "LogisticRegression(solver='lbfgs', C=1.0, max_iter=100)" } },
  { algorithm: "naive_bayes", task: "classification", rows: BIG, params: {}, sklearn: { GaussianNB: "GaussianNB()" } },
  { algorithm: "svm", task: "classification", rows: SMALL, params: {}, sklearn: { SVC: "SVC(kernel='rbf', C=1.0, gamma='scale', cache_size=200)" } },
  { algorithm: "knn", task: "classification", rows: SMALL, params: {}, sklearn: { KNeighborsClassifier: "KNeighborsClassifier(n_neighbors=5, n_jobs=1)" } },
  { algorithm: "knn", task: "regression", rows: SMALL, params: {}, sklearn: { KNeighborsRegressor: "KNeighborsRegressor(n_neighbors=5, n_jobs=1)" } },
];

interface Data {
  Xtrain: Matrix;
  Xtest: Matrix;
  ytrain: Float64Array;
  ytest: Float64Array;
}

const cache = new Map<string, Data>();

/** Seeded rows; the same (rows, task) always gives the same data. */
function generate(rows: number, task: Task): Data {
  const key = `${rows}/${task}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const rng = new Random(task === "classification" ? 1 : 2);
  const X = matrix(rows, COLS);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.normal();
  const y = new Float64Array(rows);
  const x = (i: number, j: number) => X.data[j * rows + i]!;
  for (let i = 0; i < rows; i++) {
    let f = 0;
    for (let j = 0; j < 6; j++) f += (j % 2 ? -0.8 : 1) * x(i, j);
    f += 1.5 * Math.sin(2 * x(i, 6)) + x(i, 7) * x(i, 8) + 0.5 * Math.abs(x(i, 9)) - 0.4;
    y[i] = task === "classification" ? (f + 0.8 * rng.normal() > 0 ? 1 : 0) : f + 0.5 * rng.normal();
  }
  const nTrain = Math.round(rows * 0.8);
  const part = (from: number, to: number): Matrix => {
    const m = matrix(to - from, COLS);
    for (let j = 0; j < COLS; j++) m.data.set(X.data.subarray(j * rows + from, j * rows + to), j * m.rows);
    return m;
  };
  const d: Data = { Xtrain: part(0, nTrain), Xtest: part(nTrain, rows), ytrain: y.slice(0, nTrain), ytest: y.slice(nTrain) };
  cache.set(key, d);
  return d;
}

/** A .npy file (format 1.0, little-endian float64, C order). */
function writeNpy(path: string, data: Float64Array, shape: number[]): void {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const pre = Buffer.alloc(10);
  Buffer.from("\x93NUMPY", "latin1").copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([pre, Buffer.from(header, "latin1"), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

function findPython(): string | undefined {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", "import sklearn, numpy; print(sklearn.__version__)"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return undefined;
}

const SINGLE_THREAD = { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1", BLIS_NUM_THREADS: "1" };

const PY = `
import json, sys, time
import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor, GradientBoostingClassifier, GradientBoostingRegressor
try:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
except ImportError:
    from sklearn.experimental import enable_hist_gradient_boosting  # noqa: F401 (scikit-learn < 1.0)
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.metrics import accuracy_score, r2_score
spec = json.loads(sys.argv[1])
d = spec["dir"]
Xtr = np.ascontiguousarray(np.load(d + "/Xtrain.npy")); ytr = np.load(d + "/ytrain.npy")
Xte = np.ascontiguousarray(np.load(d + "/Xtest.npy")); yte = np.load(d + "/ytest.npy")
if spec["task"] == "classification":
    ytr = ytr.astype(np.int64); yte = yte.astype(np.int64)
for label, expr in spec["estimators"].items():
    est = eval(expr)
    c0 = time.process_time(); t0 = time.perf_counter(); est.fit(Xtr, ytr); fit = time.perf_counter() - t0; fitCpu = time.process_time() - c0
    predict = float("inf"); predictCpu = float("inf")
    for _ in range(spec["predictRuns"]):
        c0 = time.process_time(); t0 = time.perf_counter(); pred = est.predict(Xte); predict = min(predict, time.perf_counter() - t0); predictCpu = min(predictCpu, time.process_time() - c0)
    score = accuracy_score(yte, pred) if spec["task"] == "classification" else r2_score(yte, pred)
    print(json.dumps({"label": label, "fit": fit, "predict": predict, "fitCpu": fitCpu, "predictCpu": predictCpu, "score": float(score)}), flush=True)
`;

interface SkResult {
  label: string;
  fit: number;
  predict: number;
  /** CPU seconds of the process (less sensitive than wall time to other load on the machine). */
  fitCpu: number;
  predictCpu: number;
  score: number;
}

function runSklearn(py: string, dir: string, data: Data, c: Case): SkResult[] {
  writeNpy(join(dir, "Xtrain.npy"), toRowMajor(data.Xtrain), [data.Xtrain.rows, COLS]);
  writeNpy(join(dir, "Xtest.npy"), toRowMajor(data.Xtest), [data.Xtest.rows, COLS]);
  writeNpy(join(dir, "ytrain.npy"), data.ytrain, [data.ytrain.length]);
  writeNpy(join(dir, "ytest.npy"), data.ytest, [data.ytest.length]);
  const r = spawnSync(py, ["-c", PY, JSON.stringify({ dir, task: c.task, estimators: c.sklearn, predictRuns: PREDICT_RUNS })], {
    encoding: "utf8",
    env: { ...process.env, ...SINGLE_THREAD },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    process.stderr.write(`scikit-learn run for ${c.algorithm} failed:\n${r.stderr}\n`);
    return [];
  }
  return r.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SkResult);
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

async function runDml(data: Data, c: Case): Promise<Omit<SkResult, "label">> {
  const alg = ALGORITHMS[c.algorithm];
  const target: Target = c.task === "classification" ? { task: "classification", y: Int32Array.from(data.ytrain), nClasses: 2 } : { task: "regression", y: data.ytrain };
  // Warm-up (JIT) on a few rows, untimed: scikit-learn's code is compiled ahead of time.
  const w = generate(200, c.task);
  const wt: Target = c.task === "classification" ? { task: "classification", y: Int32Array.from(w.ytrain), nClasses: 2 } : { task: "regression", y: w.ytrain };
  (await alg.fit(w.Xtrain, wt, c.params, { seed: 0 })).predict(w.Xtest);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const fitted = await alg.fit(data.Xtrain, target, c.params, { seed: 0 });
  const fit = (performance.now() - t0) / 1000;
  const fitCpu = cpuSeconds(c0);
  // Predict: one untimed call (JIT), then the best of PREDICT_RUNS timed calls (steady state).
  let predict = Infinity;
  let predictCpu = Infinity;
  let pred = fitted.predict(data.Xtest);
  for (let r = 0; r < PREDICT_RUNS; r++) {
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    pred = fitted.predict(data.Xtest);
    predict = Math.min(predict, (performance.now() - t1) / 1000);
    predictCpu = Math.min(predictCpu, cpuSeconds(c1));
  }
  const score = c.task === "classification" ? accuracy(Int32Array.from(data.ytest), pred) : regressionMetrics(data.ytest, pred).r2!;
  return { fit, predict, fitCpu, predictCpu, score };
}

const s = (v: number | undefined) => (v === undefined ? "-" : v < 0.01 ? v.toFixed(4) : v < 10 ? v.toFixed(3) : v.toFixed(1));
const ratio = (a: number, b: number | undefined) => (b === undefined || b <= 0 ? "-" : (a / b).toFixed(2) + "x");
const score = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(4));

async function main(): Promise<void> {
  const py = findPython();
  const cases = CASES.filter((c) => !ONLY || ONLY.includes(c.algorithm)).map((c) => ({
    ...c,
    sklearn: Object.fromEntries(Object.entries(c.sklearn).filter(([label]) => !SK_ONLY || SK_ONLY.some((x) => label.includes(x)))),
  }));
  console.log(
    `ML bench: ${COLS} features, scale ${SCALE} (${BIG} / ${SMALL} rows, 80% fit, 20% predicted), ensembles ${TREES} trees; Node ${process.version}; ` +
      (py ? `scikit-learn via ${py}, n_jobs=1, OMP/BLAS threads 1` : "scikit-learn not importable: DML only"),
  );
  const head = ["algorithm", "task", "rows", "scikit-learn", "DML fit s", "sk fit s", "fit ratio", "fit cpu ratio", "DML pred s", "sk pred s", "pred ratio", "pred cpu ratio", "DML score", "sk score"];
  const table: string[][] = [];
  const dir = mkdtempSync(join(tmpdir(), "dml-ml-bench-"));
  try {
    for (const c of cases) {
      const data = generate(c.rows, c.task);
      const dml = await runDml(data, c);
      const sk = py ? runSklearn(py, dir, data, c) : [];
      const labels = py ? Object.keys(c.sklearn) : ["-"];
      for (const label of labels) {
        const r = sk.find((x) => x.label === label);
        const row = [
          c.algorithm,
          c.task === "classification" ? "clf" : "reg",
          String(c.rows),
          label,
          s(dml.fit),
          s(r?.fit),
          ratio(dml.fit, r?.fit),
          ratio(dml.fitCpu, r?.fitCpu),
          s(dml.predict),
          s(r?.predict),
          ratio(dml.predict, r?.predict),
          ratio(dml.predictCpu, r?.predictCpu),
          score(dml.score),
          score(r?.score),
        ];
        table.push(row);
        process.stderr.write(`  ${row.slice(0, 4).join(" ")}: fit ${row[4]} s vs ${row[5]} s, predict ${row[8]} s vs ${row[9]} s\n`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => "| " + r.map((v, i) => (i < 4 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(" | ") + " |";
  console.log(line(head));
  console.log("|" + widths.map((w, i) => (i < 4 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|");
  for (const r of table) console.log(line(r));
  console.log(
    "score: accuracy (clf) or R2 (reg) on the held-out 20%; ratio = DML / scikit-learn (below 1 = DML faster); cpu ratio: the same with\n" +
      "process CPU seconds (Node's include its GC and compiler threads), steadier than wall time when other work shares the machine.",
  );
}

await main();
