// linear_regression: least squares with an intercept, optionally ridge-penalised (scikit-learn's
// LinearRegression when alpha = 0, Ridge otherwise). The normal equations of the centred data are
// solved by Cholesky; a singular system (constant or duplicated columns) gets a tiny ridge.

import { type Algorithm, type EstimatorState, type FittedEstimator, checkpoint } from "../core/estimator.js";
import type { Matrix } from "../core/matrix.js";
import { type ParamSpecs, validateParams } from "../core/params.js";
import { decodeState } from "../core/state.js";
import { addWeightedCols, dotCols, solveSpd } from "./linalg.js";

const params: ParamSpecs = {
  alpha: { type: "float", default: 0, min: 0, doc: "L2 penalty (ridge) on the coefficients, not the intercept; 0 = ordinary least squares." },
  fit_intercept: { type: "bool", default: true, doc: "Fit an intercept (features and target are centred before solving)." },
};

/** sum of a[off .. off + n). */
function sumRange(a: Float64Array, off: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[off + i]!;
  return s;
}

/** dst[off + i] = src[off + i] - m, i < n. */
function subtractInto(dst: Float64Array, src: Float64Array, off: number, n: number, m: number): void {
  for (let i = 0; i < n; i++) dst[off + i] = src[off + i]! - m;
}

class LinearRegressionModel implements FittedEstimator {
  constructor(
    readonly coef: Float64Array,
    readonly intercept: number,
  ) {}

  predict(X: Matrix): Float64Array {
    if (X.cols !== this.coef.length) throw new RangeError(`expected ${this.coef.length} features, got ${X.cols}`);
    const n = X.rows;
    const out = new Float64Array(n).fill(this.intercept);
    addWeightedCols(out, this.coef, 0, X.data, n, X.cols);
    return out;
  }

  state(): EstimatorState {
    return { coef: this.coef, intercept: this.intercept };
  }
}

export const linearRegression: Algorithm = {
  name: "linear_regression",
  tasks: ["regression"],
  params,
  wantsScaling: true,

  async fit(X, target, rawParams, ctx) {
    if (target.task !== "regression") throw new Error("linear_regression supports regression only");
    const p = validateParams(params, rawParams, "linear_regression");
    const alpha = p.alpha as number;
    const fitIntercept = p.fit_intercept as boolean;
    const n = X.rows;
    const d = X.cols;
    const y = target.y;
    if (n === 0) throw new Error("linear_regression needs at least one training row");
    await checkpoint(ctx, { fraction: 0, message: "normal equations" });

    const xMean = new Float64Array(d);
    let yMean = 0;
    if (fitIntercept) {
      for (let j = 0; j < d; j++) xMean[j] = sumRange(X.data, j * n, n) / n;
      yMean = sumRange(y, 0, n) / n;
    }
    // Centred columns (one copy), then the Gram matrix and X^T y.
    const Xc = new Float64Array(n * d);
    for (let j = 0; j < d; j++) subtractInto(Xc, X.data, j * n, n, xMean[j]!);
    const yc = new Float64Array(n);
    subtractInto(yc, y, 0, n, yMean);
    const G = new Float64Array(d * d);
    const b = new Float64Array(d);
    // Row a of the Gram matrix from column a against columns a..d-1 (four columns per pass).
    for (let a = 0; a < d; a++) {
      dotCols(Xc.subarray(a * n, a * n + n), Xc.subarray(a * n), n, d - a, G, a * d + a);
      for (let c = a + 1; c < d; c++) G[c * d + a] = G[a * d + c]!;
    }
    dotCols(yc, Xc, n, d, b, 0);
    await checkpoint(ctx, { fraction: 0.8, message: "solve" });
    const { x: coef } = solveSpd(G, d, b, alpha);
    let intercept = yMean;
    for (let j = 0; j < d; j++) intercept -= xMean[j]! * coef[j]!;
    ctx.onProgress?.({ fraction: 1, message: "done" });
    return new LinearRegressionModel(coef, intercept);
  },

  load(state, task) {
    if (task !== "regression") throw new Error("linear_regression supports regression only");
    const s = decodeState(state) as { coef: unknown; intercept: unknown };
    if (!(s.coef instanceof Float64Array) || typeof s.intercept !== "number") throw new Error("linear_regression state is malformed");
    return new LinearRegressionModel(s.coef, s.intercept);
  },
};
