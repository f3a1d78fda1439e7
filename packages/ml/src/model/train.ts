// trainModel: split -> preprocess (fitted on the training rows) -> fit -> evaluate -> model
// document. Cross-validation (cvFolds > 1) runs on the training split, each fold with its own
// preprocessing fitted on the fold's training rows.

import { FitCancelledError, type Algorithm, type AlgorithmName, type FitContext, type FittedEstimator, type Progress, type Target, type Task } from "../core/estimator.js";
import type { Matrix } from "../core/matrix.js";
import { validateParams, type ParamValues } from "../core/params.js";
import { permutationImportance } from "../evaluation/importance.js";
import { accuracy, classificationMetrics, regressionMetrics, rocCurve, auc, thinCurve, type Metrics, confusionMatrix } from "../evaluation/metrics.js";
import { kFold, stratifiedKFold, trainTestSplit } from "../evaluation/split.js";
import { LabelEncoder, labelText, type Label } from "../preprocess/labels.js";
import { Preprocessor, type FeatureColumn } from "../preprocess/preprocessor.js";
import { MODEL_FORMAT, MODEL_VERSION, type CvMetric, type ModelDocument, type RocCurveDoc } from "./document.js";
import { modelOf, type AlgorithmRegistry, type Model } from "./model.js";

export interface TrainOptions {
  /** Feature columns and the target column. */
  columns: readonly FeatureColumn[];
  /** Name of the target column. Rows with a missing target are dropped (counted in training.droppedRows). */
  target: string;
  /** Feature column names; default: every column but the target, in order. */
  features?: readonly string[];
  task: Task;
  algorithm: AlgorithmName;
  /** As requested (scikit-learn names); validated, defaults filled in. */
  params?: Record<string, unknown>;
  /** In (0, 1); default 0.2. */
  testFraction?: number;
  /** k-fold CV on the training split when > 1; default 0 (none). */
  cvFolds?: number;
  /**
   * Cross-validated metrics of the cvFolds folds, computed elsewhere (each fold by
   * evaluateCvFold, e.g. as separate tasks): recorded as they are, and the folds are not run here.
   */
  cvMetrics?: Record<string, CvMetric>;
  /** Default 42. */
  seed?: number;
  /** Categorical one-hot limit (default 20). */
  maxOneHot?: number;
  /** Permutation importance scores on at most this many test rows (default 2000). */
  importanceRows?: number;
  /** ROC curve points kept per curve (default 200). */
  rocPoints?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Clock for createdAt (tests). */
  now?: () => Date;
}

export interface TrainResult {
  document: ModelDocument;
  /** Ready to predict (the same as loadModel(document)). */
  model: Model;
}

/** A training request that cannot be run (bad column, target, algorithm, parameters...). */
export class TrainInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainInputError";
  }
}

function targetValues(col: FeatureColumn, task: Task): { labels: (Label | null)[] } {
  const out: (Label | null)[] = new Array(col.values.length);
  for (let i = 0; i < col.values.length; i++) {
    const v = col.values[i];
    if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) out[i] = null;
    else if (task === "regression" && typeof v !== "number") throw new TrainInputError(`regression needs a numeric target; ${col.name} has ${typeof v} values`);
    else out[i] = v as Label;
  }
  return { labels: out };
}

/** Drops non-finite values (a NaN from a misbehaving estimator must not make the document unreadable). */
function finiteOnly<T extends Record<string, number | undefined>>(m: T): T {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v))) as T;
}

export async function trainModel(opts: TrainOptions, algorithms: AlgorithmRegistry): Promise<TrainResult> {
  return (await run(opts, algorithms, undefined)) as TrainResult;
}

/**
 * Fits and scores one cross-validation fold (0-based) exactly as trainModel would inside its CV,
 * and returns the fold's metrics: the same split, folds and preprocessing for the same options.
 */
export async function evaluateCvFold(opts: TrainOptions, fold: number, algorithms: AlgorithmRegistry): Promise<Metrics> {
  if (!(opts.cvFolds && opts.cvFolds > 1)) throw new TrainInputError("evaluateCvFold needs cvFolds > 1");
  if (!(Number.isInteger(fold) && fold >= 0 && fold < opts.cvFolds)) throw new TrainInputError(`fold must be an integer in [0, ${opts.cvFolds}), got ${fold}`);
  return (await run(opts, algorithms, fold)) as Metrics;
}

/** Merges per-fold metrics (in fold order) into mean, sample std and the folds; a metric counts only when every fold defines it. */
export function mergeCvMetrics(folds: readonly Metrics[]): Record<string, CvMetric> {
  const out: Record<string, CvMetric> = {};
  if (folds.length === 0) return out;
  for (const name of Object.keys(folds[0]!) as (keyof Metrics)[]) {
    if (!folds.every((r) => r[name] !== undefined)) continue;
    const vals = folds.map((r) => r[name]!);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const std = vals.length > 1 ? Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1)) : 0;
    out[name] = { mean, std, folds: vals };
  }
  return out;
}

async function run(opts: TrainOptions, algorithms: AlgorithmRegistry, onlyFold: number | undefined): Promise<TrainResult | Metrics> {
  const { task, target } = opts;
  const seed = opts.seed ?? 42;
  const testFraction = opts.testFraction ?? 0.2;
  const cvFolds = opts.cvFolds && opts.cvFolds > 1 ? opts.cvFolds : 0;
  const alg: Algorithm | undefined = algorithms[opts.algorithm];
  if (!alg) throw new TrainInputError(`unknown algorithm ${opts.algorithm}`);
  if (!alg.tasks.includes(task)) throw new TrainInputError(`${opts.algorithm} does not do ${task}`);
  const params: ParamValues = validateParams(alg.params, opts.params ?? {}, opts.algorithm);
  if (!(testFraction > 0 && testFraction < 1)) throw new TrainInputError(`testFraction must be in (0, 1), got ${testFraction}`);

  const byName = new Map(opts.columns.map((c) => [c.name, c]));
  const targetCol = byName.get(target);
  if (!targetCol) throw new TrainInputError(`target column ${target} not found`);
  const featureNames = opts.features ?? opts.columns.map((c) => c.name).filter((n) => n !== target);
  if (featureNames.length === 0) throw new TrainInputError("no feature columns");
  const features = featureNames.map((n) => {
    if (n === target) throw new TrainInputError(`the target ${n} cannot be a feature`);
    const c = byName.get(n);
    if (!c) throw new TrainInputError(`feature column ${n} not found`);
    if (c.values.length !== targetCol.values.length) throw new TrainInputError(`column ${n} has ${c.values.length} rows, the target ${targetCol.values.length}`);
    return c;
  });

  // Rows with a target.
  const { labels } = targetValues(targetCol, task);
  const keep: number[] = [];
  labels.forEach((l, i) => l !== null && keep.push(i));
  const n = keep.length;
  if (n < 2) throw new TrainInputError(`need at least 2 rows with a target value, got ${n}`);
  let encoder: LabelEncoder | undefined;
  let yAll: Int32Array | Float64Array;
  let k = 0;
  if (task === "classification") {
    try {
      encoder = LabelEncoder.fit(keep.map((i) => labels[i]));
    } catch (e) {
      throw new TrainInputError(`target ${target}: ${(e as Error).message}`);
    }
    k = encoder.classes.length;
    if (k < 2) throw new TrainInputError(`target ${target} has a single class (${JSON.stringify(encoder.classes[0])}); classification needs at least 2`);
    yAll = encoder.encode(keep.map((i) => labels[i]));
  } else {
    yAll = Float64Array.from(keep, (i) => labels[i] as number);
  }
  const rowsOf = (idx: ArrayLike<number>) => Int32Array.from(idx as ArrayLike<number>, (p) => keep[p]!);
  const ySub = (idx: ArrayLike<number>) => (task === "classification" ? Int32Array.from(idx as ArrayLike<number>, (p) => yAll[p]!) : Float64Array.from(idx as ArrayLike<number>, (p) => yAll[p]!));
  const targetOf = (y: Int32Array | Float64Array): Target => (task === "classification" ? { task, y: y as Int32Array, nClasses: k } : { task, y: y as Float64Array });

  const split = trainTestSplit(n, testFraction, seed, task === "classification" ? yAll : undefined);
  const runFolds = cvFolds > 0 && opts.cvMetrics === undefined;
  const stages = onlyFold !== undefined ? 1 : (runFolds ? cvFolds : 0) + 1;
  let lastFraction = 0;
  const report = (stage: number, prefix: string) => (p: Progress) => {
    const f = Math.min(0.95, Math.max(lastFraction, ((stage + Math.min(1, Math.max(0, p.fraction))) / stages) * 0.95));
    lastFraction = f;
    opts.onProgress?.({ fraction: f, message: prefix + p.message });
  };
  const checkCancel = () => {
    if (opts.signal?.aborted) throw new FitCancelledError();
  };
  const prepOptions = { scale: alg.wantsScaling, maxOneHot: opts.maxOneHot };

  const fitOn = async (trainPos: ArrayLike<number>, stage: number, prefix: string) => {
    checkCancel();
    const rows = rowsOf(trainPos);
    const pre = Preprocessor.fit(features, prepOptions, rows);
    const X = pre.transform(features, rows);
    const ctx: FitContext = { seed, onProgress: report(stage, prefix), signal: opts.signal };
    const fitted = await alg.fit(X, targetOf(ySub(trainPos)), params, ctx);
    checkCancel();
    return { pre, fitted };
  };
  const evaluate = (pre: Preprocessor, fitted: FittedEstimator, testPos: ArrayLike<number>) => {
    const X = pre.transform(features, rowsOf(testPos));
    const y = ySub(testPos);
    const pred = fitted.predict(X);
    if (task === "regression") return { X, y, pred, proba: undefined, metrics: finiteOnly(regressionMetrics(y, pred)) };
    const proba = fitted.predictProba?.(X);
    return { X, y, pred, proba, metrics: finiteOnly(classificationMetrics(y, pred, k, proba)) };
  };

  // Cross-validation on the training split.
  let cvMetrics: Record<string, CvMetric> | undefined = cvFolds ? opts.cvMetrics : undefined;
  if (runFolds || onlyFold !== undefined) {
    const trainY = ySub(split.train);
    let folds;
    try {
      folds = task === "classification" ? stratifiedKFold(trainY, cvFolds, seed) : kFold(split.train.length, cvFolds, seed);
    } catch (e) {
      throw new TrainInputError((e as Error).message);
    }
    const runFold = async (f: number, stage: number): Promise<Metrics> => {
      const fold = folds[f]!;
      const trainPos = Int32Array.from(fold.train, (p) => split.train[p]!);
      const testPos = Int32Array.from(fold.test, (p) => split.train[p]!);
      const { pre, fitted } = await fitOn(trainPos, stage, `fold ${f + 1}/${folds.length}: `);
      return evaluate(pre, fitted, testPos).metrics;
    };
    if (onlyFold !== undefined) {
      const metrics = await runFold(onlyFold, 0);
      opts.onProgress?.({ fraction: 1, message: "done" });
      return metrics;
    }
    const results: Metrics[] = [];
    for (let f = 0; f < folds.length; f++) results.push(await runFold(f, f));
    cvMetrics = mergeCvMetrics(results);
  }

  // The model: fit on the whole training split, evaluate on the test split.
  const { pre, fitted } = await fitOn(split.train, stages - 1, runFolds ? "final: " : "");
  const test = evaluate(pre, fitted, split.test);
  opts.onProgress?.({ fraction: Math.max(lastFraction, 0.96), message: "evaluating" });

  let featureImportance: Record<string, number> | undefined;
  let featureImportanceKind: "impurity" | "permutation" | undefined;
  const impurity = fitted.featureImportances?.();
  if (impurity) {
    featureImportance = finiteOnly(pre.columnSums(impurity));
    featureImportanceKind = "impurity";
  } else if (test.X.rows >= 2) {
    const y = test.y;
    const score =
      task === "classification"
        ? (X: Matrix, rows: Int32Array) => accuracy(Int32Array.from(rows, (r) => y[r]!), fitted.predict(X))
        : (X: Matrix, rows: Int32Array) => regressionMetrics(Float64Array.from(rows, (r) => y[r]!), fitted.predict(X)).r2!;
    const ctx = {
      signal: opts.signal,
      onProgress: (p: Progress) => opts.onProgress?.({ fraction: Math.max(lastFraction, 0.96 + 0.03 * p.fraction), message: p.message }),
    };
    const imp = await permutationImportance(test.X, score, pre.featureSource, features.length, { nRepeats: 5, seed, maxRows: opts.importanceRows ?? 2000, ctx });
    featureImportance = {};
    features.forEach((c, j) => Object.defineProperty(featureImportance, c.name, { value: imp.mean[j]!, enumerable: true, writable: true, configurable: true }));
    featureImportanceKind = "permutation";
  }

  let confusion: ModelDocument["confusionMatrix"];
  let roc: RocCurveDoc[] | undefined;
  const classes = encoder?.classes.slice();
  if (task === "classification") {
    const labelsText = classes!.map(labelText);
    confusion = { labels: labelsText, rows: confusionMatrix(test.y, test.pred, k) };
    if (test.proba) {
      roc = [];
      const positives = k === 2 ? [1] : Array.from({ length: k }, (_, c) => c);
      for (const c of positives) {
        const yc = Int32Array.from(test.y, (v) => (v === c ? 1 : 0));
        const score = Float64Array.from({ length: test.y.length }, (_, i) => test.proba![i * k + c]!);
        const curve = rocCurve(yc, score);
        if (!curve) continue; // class absent from the test split (or present alone)
        const thin = thinCurve(curve, opts.rocPoints ?? 200);
        if (!thin.fpr.every(Number.isFinite) || !thin.tpr.every(Number.isFinite)) continue;
        roc.push({
          positiveClass: labelsText[c]!,
          auc: auc(curve.fpr, curve.tpr),
          points: thin.fpr.map((fpr, i) => ({ fpr, tpr: thin.tpr[i]!, threshold: thin.thresholds[i]! })),
        });
      }
    }
  }

  const document: ModelDocument = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    algorithm: opts.algorithm,
    task,
    target,
    features: features.map((c) => ({ name: c.name, type: c.type })),
    preprocessing: pre.state,
    ...(classes ? { classes } : {}),
    params,
    metrics: test.metrics,
    ...(cvMetrics ? { cvMetrics } : {}),
    ...(featureImportance ? { featureImportance, featureImportanceKind } : {}),
    ...(confusion ? { confusionMatrix: confusion } : {}),
    ...(roc ? { rocCurve: roc } : {}),
    training: {
      rows: targetCol.values.length,
      trainRows: split.train.length,
      testRows: split.test.length,
      droppedRows: targetCol.values.length - n,
      testFraction,
      cvFolds,
      seed,
    },
    createdAt: (opts.now?.() ?? new Date()).toISOString(),
    estimator: fitted.state(),
  };
  opts.onProgress?.({ fraction: 1, message: "done" });
  return { document, model: modelOf(document, pre, fitted) };
}
