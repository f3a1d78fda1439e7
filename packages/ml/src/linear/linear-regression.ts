// linear_regression: least squares with an intercept, optionally ridge-penalised (scikit-learn's
// LinearRegression when alpha = 0, Ridge otherwise). The normal equations of the centred data are
// solved by Cholesky; a singular system (constant or duplicated columns) gets a tiny ridge.

import { type Algorithm, type EstimatorState, type FittedEstimator, checkpoint } from "../core/estimator.js";
import type { Matrix } from "../core/matrix.js";
import { type ParamSpecs, validateParams } from "../core/params.js";
import { decodeState } from "../core/state.js";
import { solveSpd } from "./linalg.js";

const params: ParamSpecs = {
  alpha: { type: "float", default: 0, min: 0, doc: "L2 penalty (ridge) on the coefficients, not the intercept; 0 = ordinary least squares." },
  fit_intercept: { type: "bool", default: true, doc: "Fit an intercept (features and target are centred before solving)." },
};

class LinearRegressionModel implements FittedEstimator {
  constructor(
    readonly coef: Float64Array,
    readonly intercept: number,
  ) {}

  predict(X: Matrix): Float64Array {
    if (X.cols !== this.coef.length) throw new RangeError(`expected ${this.coef.length} features, got ${X.cols}`);
    const n = X.rows;
    const out = new Float64Array(n).fill(this.intercept);
    for (let j = 0; j < X.cols; j++) {
      const w = this.coef[j]!;
      if (w === 0) continue;
      const off = j * n;
      for (let i = 0; i < n; i++) out[i] = out[i]! + w * X.data[off + i]!;
    }
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
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += X.data[j * n + i]!;
        xMean[j] = s / n;
      }
      for (let i = 0; i < n; i++) yMean += y[i]!;
      yMean /= n;
    }
    // Centred columns (one copy), then the Gram matrix and X^T y.
    const Xc = new Float64Array(n * d);
    for (let j = 0; j < d; j++) {
      const m = xMean[j]!;
      for (let i = 0; i < n; i++) Xc[j * n + i] = X.data[j * n + i]! - m;
    }
    const yc = new Float64Array(n);
    for (let i = 0; i < n; i++) yc[i] = y[i]! - yMean;
    const G = new Float64Array(d * d);
    const b = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      const ca = a * n;
      for (let c = a; c < d; c++) {
        const cc = c * n;
        let s = 0;
        for (let i = 0; i < n; i++) s += Xc[ca + i]! * Xc[cc + i]!;
        G[a * d + c] = s;
        G[c * d + a] = s;
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += Xc[ca + i]! * yc[i]!;
      b[a] = s;
    }
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
