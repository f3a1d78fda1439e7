// Evaluation metrics, computed like scikit-learn 1.2 (checked against its numbers in
// metrics.test.ts). Classes are encoded 0..k-1; probabilities are row-major rows x k.
// A metric that is undefined for the data (ROC AUC or log loss when a class is absent, anything
// on zero rows) is omitted from the result maps, never NaN.

/** Metric keys as in dml.training.v1.TrainingModel.metrics. */
export const CLASSIFICATION_METRICS = [
  "accuracy",
  "precisionMacro",
  "precisionWeighted",
  "recallMacro",
  "recallWeighted",
  "f1Macro",
  "f1Weighted",
  "rocAuc",
  "logLoss",
] as const;
export const REGRESSION_METRICS = ["r2", "mse", "rmse", "mae"] as const;
export type MetricName = (typeof CLASSIFICATION_METRICS)[number] | (typeof REGRESSION_METRICS)[number];
export type Metrics = Partial<Record<MetricName, number>>;

/** Metrics where lower is better (everything else: higher is better). */
export const LOWER_IS_BETTER: ReadonlySet<MetricName> = new Set<MetricName>(["logLoss", "mse", "rmse", "mae"]);

function checkLengths(a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} true values, ${b.length} predictions`);
}

export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLengths(yTrue, yPred);
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return yTrue.length === 0 ? NaN : ok / yTrue.length;
}

/** counts[actual][predicted] over classes 0..nClasses-1. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number): number[][] {
  checkLengths(yTrue, yPred);
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]! += 1;
  return m;
}

/**
 * Precision, recall and F1, macro and weighted averages, over the labels present in yTrue or
 * yPred (scikit-learn's default labels); zero_division = 0.
 */
export function precisionRecallF1(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
): Pick<Required<Metrics>, "precisionMacro" | "precisionWeighted" | "recallMacro" | "recallWeighted" | "f1Macro" | "f1Weighted"> {
  checkLengths(yTrue, yPred);
  const tp = new Map<number, number>();
  const predicted = new Map<number, number>();
  const support = new Map<number, number>();
  const inc = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < yTrue.length; i++) {
    inc(support, yTrue[i]!);
    inc(predicted, yPred[i]!);
    if (yTrue[i] === yPred[i]) inc(tp, yTrue[i]!);
  }
  const labels = [...new Set([...support.keys(), ...predicted.keys()])].sort((a, b) => a - b);
  let pM = 0, rM = 0, fM = 0, pW = 0, rW = 0, fW = 0, total = 0;
  for (const l of labels) {
    const t = tp.get(l) ?? 0;
    const np = predicted.get(l) ?? 0;
    const ns = support.get(l) ?? 0;
    const p = np === 0 ? 0 : t / np;
    const r = ns === 0 ? 0 : t / ns;
    const f = p + r === 0 ? 0 : (2 * p * r) / (p + r);
    pM += p; rM += r; fM += f;
    pW += p * ns; rW += r * ns; fW += f * ns;
    total += ns;
  }
  const k = labels.length || 1;
  const w = total || 1;
  return { precisionMacro: pM / k, recallMacro: rM / k, f1Macro: fM / k, precisionWeighted: pW / w, recallWeighted: rW / w, f1Weighted: fW / w };
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Decreasing; the first is +Infinity (scikit-learn 1.2 writes max score + 1 there, 1.3+ inf). */
  thresholds: number[];
}

/**
 * ROC curve of a binary problem (positive = 1) like sklearn.metrics.roc_curve with
 * drop_intermediate. Undefined (undefined) when yTrue has no positive or no negative.
 */
export function rocCurve(yTrue: ArrayLike<number>, score: ArrayLike<number>, dropIntermediate = true): RocCurve | undefined {
  checkLengths(yTrue, score);
  const n = yTrue.length;
  // Descending score; ties keep reversed input order like scikit-learn (irrelevant for the curve).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || b - a);
  let tps: number[] = [];
  let fps: number[] = [];
  let thr: number[] = [];
  let tp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (yTrue[i] === 1) tp++;
    if (k === n - 1 || score[order[k + 1]!] !== score[i]) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thr.push(score[i]!);
    }
  }
  const P = tps.length ? tps[tps.length - 1]! : 0;
  const N = fps.length ? fps[fps.length - 1]! : 0;
  if (P === 0 || N === 0) return undefined;
  if (dropIntermediate && fps.length > 2) {
    const keep: number[] = [0];
    for (let k = 1; k < fps.length - 1; k++) {
      if (fps[k - 1]! - 2 * fps[k]! + fps[k + 1]! !== 0 || tps[k - 1]! - 2 * tps[k]! + tps[k + 1]! !== 0) keep.push(k);
    }
    keep.push(fps.length - 1);
    tps = keep.map((k) => tps[k]!);
    fps = keep.map((k) => fps[k]!);
    thr = keep.map((k) => thr[k]!);
  }
  return {
    fpr: [0, ...fps.map((v) => v / N)],
    tpr: [0, ...tps.map((v) => v / P)],
    thresholds: [Infinity, ...thr],
  };
}

/** Area under a curve by the trapezoidal rule (x monotonic). */
export function auc(x: readonly number[], y: readonly number[]): number {
  let a = 0;
  for (let k = 1; k < x.length; k++) a += ((x[k]! - x[k - 1]!) * (y[k]! + y[k - 1]!)) / 2;
  return Math.abs(a);
}

function classColumn(proba: ArrayLike<number>, nClasses: number, c: number): Float64Array {
  const n = proba.length / nClasses;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = proba[i * nClasses + c]!;
  return out;
}

function oneVsRest(yTrue: ArrayLike<number>, c: number): Int32Array {
  const out = new Int32Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) out[i] = yTrue[i] === c ? 1 : 0;
  return out;
}

/** Per class c (one-vs-rest; for 2 classes only class 1): the ROC curve, undefined where class c or its rest is absent. */
export function rocCurves(yTrue: ArrayLike<number>, proba: ArrayLike<number>, nClasses: number, dropIntermediate = true): { positiveClass: number; curve: RocCurve | undefined }[] {
  checkProba(yTrue, proba, nClasses);
  const classes = nClasses === 2 ? [1] : Array.from({ length: nClasses }, (_, c) => c);
  return classes.map((c) => ({ positiveClass: c, curve: rocCurve(oneVsRest(yTrue, c), classColumn(proba, nClasses, c), dropIntermediate) }));
}

function checkProba(yTrue: ArrayLike<number>, proba: ArrayLike<number>, nClasses: number): void {
  if (proba.length !== yTrue.length * nClasses) throw new RangeError(`probabilities have ${proba.length} values, expected ${yTrue.length} x ${nClasses}`);
}

/**
 * ROC AUC: binary (score = probability of class 1) or one-vs-rest macro average for more
 * classes. Undefined when any class is absent from yTrue (scikit-learn raises then).
 */
export function rocAuc(yTrue: ArrayLike<number>, proba: ArrayLike<number>, nClasses: number): number | undefined {
  if (nClasses < 2) return undefined;
  const curves = rocCurves(yTrue, proba, nClasses, false);
  let s = 0;
  for (const { curve } of curves) {
    if (!curve) return undefined;
    s += auc(curve.fpr, curve.tpr);
  }
  return s / curves.length;
}

/**
 * Log loss with probabilities clipped to [eps, 1 - eps] (eps = float64 epsilon) and each row
 * renormalised, like scikit-learn 1.2's log_loss(labels=0..k-1). Undefined for fewer than 2 classes.
 */
export function logLoss(yTrue: ArrayLike<number>, proba: ArrayLike<number>, nClasses: number): number | undefined {
  checkProba(yTrue, proba, nClasses);
  if (nClasses < 2 || yTrue.length === 0) return undefined;
  const eps = Number.EPSILON;
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    let sum = 0;
    for (let c = 0; c < nClasses; c++) sum += Math.min(1 - eps, Math.max(eps, proba[i * nClasses + c]!));
    const p = Math.min(1 - eps, Math.max(eps, proba[i * nClasses + yTrue[i]!]!)) / sum;
    s -= Math.log(p);
  }
  return s / yTrue.length;
}

/** All classification metrics that are defined for the data; probability metrics only with `proba`. */
export function classificationMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number, proba?: ArrayLike<number>): Metrics {
  if (yTrue.length === 0) return {};
  const out: Metrics = { accuracy: accuracy(yTrue, yPred), ...precisionRecallF1(yTrue, yPred) };
  if (proba) {
    const a = rocAuc(yTrue, proba, nClasses);
    if (a !== undefined) out.rocAuc = a;
    const l = logLoss(yTrue, proba, nClasses);
    if (l !== undefined) out.logLoss = l;
  }
  return out;
}

/** r2 (1 for a perfect fit of a constant target, 0 otherwise when the target is constant, like scikit-learn), mse, rmse, mae. */
export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): Metrics {
  checkLengths(yTrue, yPred);
  const n = yTrue.length;
  if (n === 0) return {};
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i]!;
  mean /= n;
  let sse = 0, sst = 0, sae = 0;
  for (let i = 0; i < n; i++) {
    const d = yTrue[i]! - yPred[i]!;
    sse += d * d;
    sae += Math.abs(d);
    const t = yTrue[i]! - mean;
    sst += t * t;
  }
  const r2 = sst === 0 ? (sse === 0 ? 1 : 0) : 1 - sse / sst;
  const mse = sse / n;
  return { r2, mse, rmse: Math.sqrt(mse), mae: sae / n };
}

/** At most `max` points of a ROC curve, evenly spaced, keeping the first and the last. */
export function thinCurve(c: RocCurve, max = 200): RocCurve {
  const n = c.fpr.length;
  if (n <= max) return c;
  const idx: number[] = [];
  for (let k = 0; k < max; k++) idx.push(Math.round((k * (n - 1)) / (max - 1)));
  const uniq = [...new Set(idx)];
  return { fpr: uniq.map((i) => c.fpr[i]!), tpr: uniq.map((i) => c.tpr[i]!), thresholds: uniq.map((i) => c.thresholds[i]!) };
}
