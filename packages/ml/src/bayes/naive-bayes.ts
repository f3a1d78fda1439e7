// naive_bayes: Gaussian naive Bayes (scikit-learn's GaussianNB): per-class means and variances,
// variances smoothed by var_smoothing x the largest feature variance, priors from the class
// frequencies. Categorical features arrive one-hot encoded from preprocessing and are modelled as
// Gaussian 0/1 columns like any other (what GaussianNB does on the same encoding); a constant
// column has zero variance everywhere and only the smoothing, so it cannot dominate.

import { type Algorithm, type EstimatorState, type FittedEstimator, checkpoint } from "../core/estimator.js";
import type { Matrix } from "../core/matrix.js";
import { type ParamSpecs, validateParams } from "../core/params.js";
import { decodeState } from "../core/state.js";

const params: ParamSpecs = {
  var_smoothing: { type: "float", default: 1e-9, min: 0, doc: "Added to every variance, as a fraction of the largest feature variance (stability)." },
};

// Small top-level kernels: optimised early (also by a warm-up on few rows) and shared by every fit.

/** Sum of x[off .. off + n); sums[y[i]] += x[off + i]. */
function sumByClass(x: Float64Array, off: number, n: number, y: Int32Array, sums: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[off + i]!;
    s += v;
    sums[y[i]!] = sums[y[i]!]! + v;
  }
  return s;
}

/** Sum of (x - m)^2; sums[c] += (x - mu[c])^2 with c = y[i]. */
function sqDevByClass(x: Float64Array, off: number, n: number, y: Int32Array, m: number, mu: Float64Array, sums: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[off + i]!;
    const c = y[i]!;
    const e = v - m;
    s += e * e;
    const t = v - mu[c]!;
    sums[c] = sums[c]! + t * t;
  }
  return s;
}

/** out[i * K + k] -= h (x[off + i] - mu)^2, i < n. */
function subtractScaledSquares(out: Float64Array, K: number, k: number, x: Float64Array, off: number, n: number, mu: number, h: number): void {
  for (let i = 0; i < n; i++) {
    const t = x[off + i]! - mu;
    out[i * K + k] = out[i * K + k]! - h * t * t;
  }
}

class GaussianNbModel implements FittedEstimator {
  /** theta and sigma (variances): nClasses x cols, row-major; logPrior per class (-Infinity for a class absent from training). */
  constructor(
    readonly nClasses: number,
    readonly cols: number,
    readonly theta: Float64Array,
    readonly sigma: Float64Array,
    readonly logPrior: Float64Array,
  ) {}

  /** Joint log-likelihood, rows x classes row-major. */
  private jll(X: Matrix): Float64Array {
    if (X.cols !== this.cols) throw new RangeError(`expected ${this.cols} features, got ${X.cols}`);
    const n = X.rows;
    const K = this.nClasses;
    const d = this.cols;
    const out = new Float64Array(n * K);
    for (let k = 0; k < K; k++) {
      let c = this.logPrior[k]!;
      for (let j = 0; j < d; j++) c -= 0.5 * Math.log(2 * Math.PI * this.sigma[k * d + j]!);
      for (let i = 0; i < n; i++) out[i * K + k] = c;
    }
    for (let j = 0; j < d; j++) {
      const off = j * n;
      for (let k = 0; k < K; k++) {
        const mu = this.theta[k * d + j]!;
        const h = 0.5 / this.sigma[k * d + j]!;
        subtractScaledSquares(out, K, k, X.data, off, n, mu, h);
      }
    }
    return out;
  }

  predict(X: Matrix): Int32Array {
    const J = this.jll(X);
    const K = this.nClasses;
    const out = new Int32Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (J[i * K + k]! > J[i * K + best]!) best = k;
      out[i] = best;
    }
    return out;
  }

  predictProba(X: Matrix): Float64Array {
    const J = this.jll(X);
    const K = this.nClasses;
    for (let i = 0; i < X.rows; i++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, J[i * K + k]!);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(J[i * K + k]! - max);
      const lse = max + Math.log(s);
      for (let k = 0; k < K; k++) J[i * K + k] = Math.exp(J[i * K + k]! - lse);
    }
    return J;
  }

  state(): EstimatorState {
    return { nClasses: this.nClasses, cols: this.cols, theta: this.theta, sigma: this.sigma, logPrior: this.logPrior };
  }
}

export const naiveBayes: Algorithm = {
  name: "naive_bayes",
  tasks: ["classification"],
  params,
  wantsScaling: false,

  async fit(X, target, rawParams, ctx) {
    if (target.task !== "classification") throw new Error("naive_bayes supports classification only");
    const p = validateParams(params, rawParams, "naive_bayes");
    const varSmoothing = p.var_smoothing as number;
    const n = X.rows;
    const d = X.cols;
    const K = target.nClasses;
    const y = target.y;
    if (n === 0) throw new Error("naive_bayes needs at least one training row");
    await checkpoint(ctx, { fraction: 0, message: "class statistics" });
    const count = new Float64Array(K);
    for (let i = 0; i < n; i++) count[y[i]!]!++;
    const theta = new Float64Array(K * d);
    const sigma = new Float64Array(K * d);
    let maxVar = 0;
    const sum = new Float64Array(K);
    const mu = new Float64Array(K);
    for (let j = 0; j < d; j++) {
      const off = j * n;
      // Pass 1: overall and per-class sums; pass 2: squared deviations about those means
      // (two-pass for accuracy; the overall variance is for the smoothing).
      sum.fill(0);
      const m = sumByClass(X.data, off, n, y, sum) / n;
      for (let k = 0; k < K; k++) mu[k] = theta[k * d + j] = count[k]! > 0 ? sum[k]! / count[k]! : 0;
      sum.fill(0);
      const v = sqDevByClass(X.data, off, n, y, m, mu, sum);
      maxVar = Math.max(maxVar, v / n);
      for (let k = 0; k < K; k++) sigma[k * d + j] = count[k]! > 0 ? sum[k]! / count[k]! : 0;
    }
    // All features constant (or var_smoothing 0): scikit-learn would divide by zero and return
    // NaN; a tiny floor keeps every likelihood finite so the priors decide.
    const eps = Math.max(varSmoothing * maxVar, 1e-300);
    for (let i = 0; i < sigma.length; i++) sigma[i] = sigma[i]! + eps;
    // Absent classes: never predicted (log prior -Infinity), unit variance so nothing is NaN.
    const logPrior = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      logPrior[k] = count[k]! > 0 ? Math.log(count[k]! / n) : -Infinity;
      if (count[k] === 0) for (let j = 0; j < d; j++) sigma[k * d + j] = 1;
    }
    ctx.onProgress?.({ fraction: 1, message: "done" });
    return new GaussianNbModel(K, d, theta, sigma, logPrior);
  },

  load(state, task) {
    if (task !== "classification") throw new Error("naive_bayes supports classification only");
    const s = decodeState(state) as Record<string, unknown>;
    const { nClasses, cols, theta, sigma, logPrior } = s;
    if (typeof nClasses !== "number" || typeof cols !== "number" || !(theta instanceof Float64Array) || !(sigma instanceof Float64Array) || !(logPrior instanceof Float64Array)) {
      throw new Error("naive_bayes state is malformed");
    }
    if (theta.length !== nClasses * cols || sigma.length !== nClasses * cols || logPrior.length !== nClasses) throw new Error("naive_bayes state is malformed");
    return new GaussianNbModel(nClasses, cols, theta, sigma, logPrior);
  },
};
