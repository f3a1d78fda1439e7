// Parameters and helpers shared by the tree algorithms.

import type { Matrix } from "../core/matrix.js";
import type { Target, Task } from "../core/estimator.js";
import { ParamError, type ParamSpec, type ParamValues } from "../core/params.js";
import type { Criterion } from "./hist-tree.js";

export const criterionSpec: ParamSpec = {
  type: "enum",
  values: ["gini", "entropy", "log_loss", "squared_error"],
  default: "gini",
  doc: "Split quality. Classification: gini (default), entropy or log_loss (= entropy). Regression always uses squared_error (the default 'gini' means the task's default there).",
};
export const maxDepthSpec = (def: number | null): ParamSpec => ({
  type: "int",
  default: def,
  min: 1,
  nullable: true,
  doc: "Maximum tree depth; null grows until leaves are pure or min_samples_* stop it.",
});
export const minSamplesSplitSpec: ParamSpec = { type: "int", default: 2, min: 2, doc: "Minimum rows in a node to split it." };
export const minSamplesLeafSpec: ParamSpec = { type: "int", default: 1, min: 1, doc: "Minimum rows in each child of a split." };
export const maxFeaturesSpec = (doc: string): ParamSpec => ({
  type: "enum_or_number",
  values: ["sqrt", "log2"],
  default: null,
  nullable: true,
  min: 0,
  doc,
});

export function resolveCriterion(v: unknown, task: Task): Criterion {
  if (task === "regression") {
    if (v === "gini" || v === "squared_error") return "squared_error";
    throw new ParamError("criterion", `criterion ${String(v)} is for classification; regression uses squared_error`);
  }
  if (v === "gini") return "gini";
  if (v === "entropy" || v === "log_loss") return "entropy";
  throw new ParamError("criterion", `criterion ${String(v)} is for regression; classification uses gini, entropy or log_loss`);
}

/**
 * Features drawn per node. "sqrt"/"log2" as in scikit-learn; a number <= 1 is a fraction of the
 * features (so 1 and 1.0 both mean all), a number > 1 a count; null = `dflt`.
 */
export function resolveMaxFeatures(v: unknown, nFeatures: number, dflt: "all" | "sqrt"): number {
  if (v === null || v === undefined) v = dflt === "all" ? 1 : "sqrt";
  let k: number;
  if (v === "sqrt") k = Math.floor(Math.sqrt(nFeatures));
  else if (v === "log2") k = Math.floor(Math.log2(nFeatures));
  else if (typeof v === "number" && v > 0) k = v <= 1 ? Math.floor(v * nFeatures) : Math.floor(v);
  else throw new ParamError("max_features", `max_features must be "sqrt", "log2" or a number > 0, got ${JSON.stringify(v)}`);
  return Math.max(1, Math.min(nFeatures, k));
}

export function maxDepthOf(v: unknown): number {
  return v === null || v === undefined ? Infinity : (v as number);
}

export function checkInput(X: Matrix, target: Target): void {
  if (target.y.length !== X.rows) throw new RangeError(`target has ${target.y.length} values, X has ${X.rows} rows`);
  if (X.rows === 0) throw new RangeError("cannot fit on 0 rows");
  if (target.task === "classification") {
    const k = target.nClasses;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`nClasses must be a positive integer, got ${k}`);
    for (let i = 0; i < target.y.length; i++) {
      const c = target.y[i]!;
      if (c < 0 || c >= k) throw new RangeError(`class index ${c} at row ${i} is outside 0..${k - 1}`);
    }
  } else {
    for (let i = 0; i < target.y.length; i++) if (!Number.isFinite(target.y[i]!)) throw new RangeError(`target value at row ${i} is not finite`);
  }
}

export function checkFeatures(X: Matrix, nFeatures: number): void {
  if (X.cols !== nFeatures) throw new RangeError(`X has ${X.cols} columns, the model was fitted on ${nFeatures}`);
}

/** Row-wise argmax of a rows x k row-major matrix (first max wins, as numpy). */
export function argmaxRows(p: Float64Array, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bv = p[i * k]!;
    for (let c = 1; c < k; c++) {
      const v = p[i * k + c]!;
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

export function normalize(a: Float64Array): Float64Array {
  let s = 0;
  for (const v of a) s += v;
  if (s > 0) for (let i = 0; i < a.length; i++) a[i]! /= s;
  return a;
}

export function num(state: Record<string, unknown>, key: string): number {
  const v = state[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`invalid state: ${key}`);
  return v;
}
