// logistic_regression: binary (one weight vector, sigmoid) and multinomial (softmax over one
// vector per class) with an L2 penalty, fitted by L-BFGS. The objective is scikit-learn's (lbfgs
// solver): sum of the log-losses + 1/(2C) ||w||^2, the intercept not penalised; stopping follows
// its max_iter / tol (max |gradient| <= tol).

import { exp } from "../core/exp.js";
import { type Algorithm, type EstimatorState, type FittedEstimator, FitCancelledError, checkpoint } from "../core/estimator.js";
import type { Matrix } from "../core/matrix.js";
import { type ParamSpecs, validateParams } from "../core/params.js";
import { decodeState } from "../core/state.js";
import { lbfgs } from "./lbfgs.js";
import { addWeightedCols, dotCols } from "./linalg.js";

/** Longest stretch of iterations without letting the event loop run. */
const YIELD_MS = 20;

const params: ParamSpecs = {
  C: { type: "float", default: 1.0, min: 0, exclusiveMin: true, doc: "Inverse of the L2 regularisation strength (smaller = stronger)." },
  max_iter: { type: "int", default: 100, min: 1, doc: "Maximum L-BFGS iterations." },
  tol: { type: "float", default: 1e-4, min: 0, doc: "Stop when the largest gradient component is at most tol." },
  fit_intercept: { type: "bool", default: true, doc: "Fit an (unpenalised) intercept per class." },
};

/** Binary log-loss of the scores Z (labels y, 1 = positive); Z becomes the residual sigmoid(z) - y. One exp (the fast one) and one log1p per row. */
function binaryLossResidual(Z: Float64Array, y: Int32Array, n: number): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const z = Z[i]!;
    const yi = y[i] === 1 ? 1 : 0;
    let p: number;
    if (z > 0) {
      const e = exp(-z);
      loss += z + Math.log1p(e) - yi * z;
      p = 1 / (1 + e);
    } else {
      const e = exp(z);
      loss += Math.log1p(e) - yi * z;
      p = e / (1 + e);
    }
    Z[i] = p - yi;
  }
  return loss;
}

class LogisticModel implements FittedEstimator {
  /**
   * coef: rows (1 for binary, nClasses for multinomial) x cols, row-major; intercept per row.
   */
  constructor(
    readonly nClasses: number,
    readonly cols: number,
    readonly coef: Float64Array,
    readonly intercept: Float64Array,
  ) {}

  private scores(X: Matrix): Float64Array {
    if (X.cols !== this.cols) throw new RangeError(`expected ${this.cols} features, got ${X.cols}`);
    const r = this.intercept.length;
    const n = X.rows;
    const Z = new Float64Array(n * r);
    if (r === 1) {
      // Binary: the fit's column kernel (already optimised).
      Z.fill(this.intercept[0]!);
      addWeightedCols(Z, this.coef, 0, X.data, n, X.cols);
      return Z;
    }
    for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) Z[i * r + k] = this.intercept[k]!;
    for (let j = 0; j < X.cols; j++) {
      const off = j * n;
      for (let k = 0; k < r; k++) {
        const w = this.coef[k * this.cols + j]!;
        if (w === 0) continue;
        for (let i = 0; i < n; i++) Z[i * r + k] = Z[i * r + k]! + w * X.data[off + i]!;
      }
    }
    return Z;
  }

  predictProba(X: Matrix): Float64Array {
    const Z = this.scores(X);
    const n = X.rows;
    const K = this.nClasses;
    const P = new Float64Array(n * K);
    if (this.intercept.length === 1) {
      for (let i = 0; i < n; i++) {
        const p1 = 1 / (1 + Math.exp(-Z[i]!));
        P[i * 2] = 1 - p1;
        P[i * 2 + 1] = p1;
      }
      return P;
    }
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, Z[i * K + k]!);
      let s = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp(Z[i * K + k]! - max);
        P[i * K + k] = e;
        s += e;
      }
      for (let k = 0; k < K; k++) P[i * K + k] = P[i * K + k]! / s;
    }
    return P;
  }

  predict(X: Matrix): Int32Array {
    const Z = this.scores(X);
    const n = X.rows;
    const r = this.intercept.length;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (r === 1) {
        out[i] = Z[i]! > 0 ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let k = 1; k < r; k++) if (Z[i * r + k]! > Z[i * r + best]!) best = k;
      out[i] = best;
    }
    return out;
  }

  state(): EstimatorState {
    return { nClasses: this.nClasses, cols: this.cols, coef: this.coef, intercept: this.intercept };
  }
}

export const logisticRegression: Algorithm = {
  name: "logistic_regression",
  tasks: ["classification"],
  params,
  wantsScaling: true,

  async fit(X, target, rawParams, ctx) {
    if (target.task !== "classification") throw new Error("logistic_regression supports classification only");
    const p = validateParams(params, rawParams, "logistic_regression");
    const C = p.C as number;
    const maxIter = p.max_iter as number;
    const tol = p.tol as number;
    const fitIntercept = p.fit_intercept as boolean;
    const n = X.rows;
    const d = X.cols;
    const K = target.nClasses;
    const y = target.y;
    if (n === 0) throw new Error("logistic_regression needs at least one training row");
    if (K < 2) throw new Error("logistic_regression needs at least 2 classes");
    const lambda = 1 / C;
    const Xd = X.data;
    // Parameters: r blocks of (d weights, then the intercept).
    const r = K === 2 ? 1 : K;
    const w1 = d + 1;
    const Z = new Float64Array(n * r);

    const computeScores = (x: Float64Array) => {
      if (r === 1) {
        Z.fill(fitIntercept ? x[d]! : 0);
        addWeightedCols(Z, x, 0, Xd, n, d);
        return;
      }
      for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) Z[i * r + k] = fitIntercept ? x[k * w1 + d]! : 0;
      for (let j = 0; j < d; j++) {
        const off = j * n;
        for (let k = 0; k < r; k++) {
          const w = x[k * w1 + j]!;
          if (w === 0) continue;
          for (let i = 0; i < n; i++) Z[i * r + k] = Z[i * r + k]! + w * Xd[off + i]!;
        }
      }
    };

    const fg = (x: Float64Array, grad: Float64Array): number => {
      computeScores(x);
      let loss = 0;
      // Z becomes the residual (p - y) per row and class.
      if (r === 1) {
        loss = binaryLossResidual(Z, y, n);
      } else {
        for (let i = 0; i < n; i++) {
          const o = i * r;
          let max = -Infinity;
          for (let k = 0; k < r; k++) max = Math.max(max, Z[o + k]!);
          let s = 0;
          for (let k = 0; k < r; k++) s += Math.exp(Z[o + k]! - max);
          const lse = max + Math.log(s);
          const yi = y[i]!;
          loss += lse - Z[o + yi]!;
          for (let k = 0; k < r; k++) Z[o + k] = Math.exp(Z[o + k]! - lse) - (k === yi ? 1 : 0);
        }
      }
      grad.fill(0);
      if (r === 1) dotCols(Z, Xd, n, d, grad, 0);
      else for (let j = 0; j < d; j++) {
        const off = j * n;
        for (let k = 0; k < r; k++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += Z[i * r + k]! * Xd[off + i]!;
          grad[k * w1 + j] = s;
        }
      }
      if (fitIntercept) {
        for (let k = 0; k < r; k++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += Z[i * r + k]!;
          grad[k * w1 + d] = s;
        }
      }
      let pen = 0;
      for (let k = 0; k < r; k++) {
        for (let j = 0; j < d; j++) {
          const w = x[k * w1 + j]!;
          pen += w * w;
          grad[k * w1 + j] = grad[k * w1 + j]! + lambda * w;
        }
      }
      return loss + 0.5 * lambda * pen;
    };

    await checkpoint(ctx, { fraction: 0, message: "iteration 0" });
    let lastYield = performance.now();
    const res = await lbfgs(fg, new Float64Array(r * w1), {
      maxIter,
      gtol: tol,
      onIteration: (it) => {
        // Progress and the cancel check every iteration; the event loop only every YIELD_MS.
        ctx.onProgress?.({ fraction: it / maxIter, message: `iteration ${it}` });
        if (ctx.signal?.aborted) throw new FitCancelledError();
        const now = performance.now();
        if (now - lastYield < YIELD_MS) return;
        lastYield = now;
        return checkpoint(ctx);
      },
    });
    const coef = new Float64Array(r * d);
    const intercept = new Float64Array(r);
    for (let k = 0; k < r; k++) {
      coef.set(res.x.subarray(k * w1, k * w1 + d), k * d);
      intercept[k] = fitIntercept ? res.x[k * w1 + d]! : 0;
    }
    ctx.onProgress?.({ fraction: 1, message: `done after ${res.iterations} iterations${res.converged ? "" : " (max_iter reached)"}` });
    return new LogisticModel(K, d, coef, intercept);
  },

  load(state, task) {
    if (task !== "classification") throw new Error("logistic_regression supports classification only");
    const s = decodeState(state) as { nClasses: unknown; cols: unknown; coef: unknown; intercept: unknown };
    if (typeof s.nClasses !== "number" || typeof s.cols !== "number" || !(s.coef instanceof Float64Array) || !(s.intercept instanceof Float64Array)) {
      throw new Error("logistic_regression state is malformed");
    }
    if (s.coef.length !== s.intercept.length * s.cols) throw new Error("logistic_regression state is malformed");
    return new LogisticModel(s.nClasses, s.cols, s.coef, s.intercept);
  },
};
