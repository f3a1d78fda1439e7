// svm: C-support vector classification (scikit-learn's SVC / libsvm) with a linear or RBF kernel,
// multiclass one-vs-one like libsvm (one binary SVM per class pair, prediction by votes, ties to
// the lower class index). Trained by our own SMO (./smo.ts, libsvm's algorithm with shrinking),
// so neither fitting nor loading needs WASM. The state is the support vectors (row-major), per pair the
// indices of its support vectors and their coefficients (alpha_i y_i), and rho.
//
// Probabilities (predictProba) are NOT libsvm's Platt-scaled `probability=True` (which needs an
// internal 5-fold CV): each pair's decision value f is turned into P(a | a or b) = 1/(1+exp(-f)),
// and the pairwise probabilities are coupled into one distribution per row with libsvm's
// multiclass_probability (Wu, Lin and Weng 2004). They rank and sum to 1 but are not calibrated;
// for two classes this is exactly the sigmoid of the decision value. Their argmax can differ from
// predict() (votes), as with scikit-learn's SVC(probability=True).

import { type Algorithm, type EstimatorState, type FittedEstimator, checkpoint } from "../core/estimator.js";
import { type Matrix, toRowMajor } from "../core/matrix.js";
import { type ParamSpecs, validateParams } from "../core/params.js";
import { decodeState } from "../core/state.js";
import { solveSmo } from "./smo.js";

const params: ParamSpecs = {
  kernel: { type: "enum", values: ["rbf", "linear"], default: "rbf", doc: "rbf: exp(-gamma ||x - x'||^2); linear: x . x'." },
  C: { type: "float", default: 1.0, min: 0, exclusiveMin: true, doc: "Penalty of the margin violations (larger = fewer violations, less regularisation)." },
  gamma: {
    type: "enum_or_number",
    values: ["scale", "auto"],
    default: "scale",
    min: 0,
    doc: "RBF width: scale = 1 / (n_features * variance of all of X), auto = 1 / n_features, or a positive number.",
  },
  tol: { type: "float", default: 1e-3, min: 0, exclusiveMin: true, doc: "Stopping tolerance of the SMO solver (libsvm's eps)." },
  cache_size: { type: "float", default: 200, min: 1, doc: "Kernel row cache per binary problem, in MB." },
};

type Kernel = "rbf" | "linear";

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += a[ao + j]! * b[bo + j]!;
  return s;
}

/**
 * dst[c] = dot(a at ao, row idx[c] of the row-major S) for c < count, four rows per pass over a's
 * values (about 3x fewer loads than one dot at a time; each sum in the same order as dot()).
 */
function dotsTo(dst: Float64Array, a: Float64Array, ao: number, S: Float64Array, idx: Int32Array, count: number, d: number): void {
  let c = 0;
  for (; c + 4 <= count; c += 4) {
    const b0 = idx[c]! * d;
    const b1 = idx[c + 1]! * d;
    const b2 = idx[c + 2]! * d;
    const b3 = idx[c + 3]! * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d; j++) {
      const x = a[ao + j]!;
      s0 += x * S[b0 + j]!;
      s1 += x * S[b1 + j]!;
      s2 += x * S[b2 + j]!;
      s3 += x * S[b3 + j]!;
    }
    dst[c] = s0;
    dst[c + 1] = s1;
    dst[c + 2] = s2;
    dst[c + 3] = s3;
  }
  for (; c < count; c++) dst[c] = dot(a, ao, S, idx[c]! * d, d);
}

function identity(n: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx;
}

class SvmModel implements FittedEstimator {
  constructor(
    readonly nClasses: number,
    readonly cols: number,
    readonly kernel: Kernel,
    readonly gamma: number,
    /** Support vectors, row-major nSV x cols. */
    readonly sv: Float64Array,
    /** Pair p = the p-th (a, b), a < b in lexicographic order; its entries are pairStart[p]..pairStart[p+1]. */
    readonly pairStart: Int32Array,
    readonly pairSv: Int32Array,
    readonly pairCoef: Float64Array,
    readonly rho: Float64Array,
  ) {}

  /** Decision values, rows x nPairs (positive: the pair's first class). */
  decision(X: Matrix): Float64Array {
    if (X.cols !== this.cols) throw new RangeError(`expected ${this.cols} features, got ${X.cols}`);
    const d = this.cols;
    const nSv = d === 0 ? 0 : this.sv.length / d;
    const nPairs = this.rho.length;
    const Q = toRowMajor(X);
    const svNorm = new Float64Array(nSv);
    for (let s = 0; s < nSv; s++) svNorm[s] = dot(this.sv, s * d, this.sv, s * d, d);
    const kv = new Float64Array(nSv);
    const all = identity(nSv);
    const out = new Float64Array(X.rows * nPairs);
    for (let q = 0; q < X.rows; q++) {
      const qo = q * d;
      const qn = dot(Q, qo, Q, qo, d);
      dotsTo(kv, Q, qo, this.sv, all, nSv, d);
      if (this.kernel !== "linear") for (let s = 0; s < nSv; s++) kv[s] = Math.exp(-this.gamma * Math.max(qn + svNorm[s]! - 2 * kv[s]!, 0));
      for (let p = 0; p < nPairs; p++) {
        let f = -this.rho[p]!;
        for (let e = this.pairStart[p]!; e < this.pairStart[p + 1]!; e++) f += this.pairCoef[e]! * kv[this.pairSv[e]!]!;
        out[q * nPairs + p] = f;
      }
    }
    return out;
  }

  predict(X: Matrix): Int32Array {
    const D = this.decision(X);
    const K = this.nClasses;
    const nPairs = this.rho.length;
    const out = new Int32Array(X.rows);
    const votes = new Int32Array(K);
    for (let q = 0; q < X.rows; q++) {
      votes.fill(0);
      let p = 0;
      for (let a = 0; a < K; a++) {
        for (let b = a + 1; b < K; b++) {
          if (D[q * nPairs + p]! > 0) votes[a]!++;
          else votes[b]!++;
          p++;
        }
      }
      let best = 0;
      for (let c = 1; c < K; c++) if (votes[c]! > votes[best]!) best = c;
      out[q] = best;
    }
    return out;
  }

  predictProba(X: Matrix): Float64Array {
    const D = this.decision(X);
    const K = this.nClasses;
    const nPairs = this.rho.length;
    const P = new Float64Array(X.rows * K);
    const r = new Float64Array(K * K);
    const Qm = new Float64Array(K * K);
    const Qp = new Float64Array(K);
    const pr = new Float64Array(K);
    const minP = 1e-7;
    for (let q = 0; q < X.rows; q++) {
      if (K === 1) {
        P[q] = 1;
        continue;
      }
      let p = 0;
      for (let a = 0; a < K; a++) {
        for (let b = a + 1; b < K; b++) {
          const v = Math.min(Math.max(1 / (1 + Math.exp(-D[q * nPairs + p]!)), minP), 1 - minP);
          r[a * K + b] = v;
          r[b * K + a] = 1 - v;
          p++;
        }
      }
      if (K === 2) {
        P[q * 2] = r[1]!;
        P[q * 2 + 1] = r[2]!;
        continue;
      }
      // libsvm's multiclass_probability.
      for (let t = 0; t < K; t++) {
        pr[t] = 1 / K;
        Qm[t * K + t] = 0;
        for (let j = 0; j < K; j++) {
          if (j === t) continue;
          Qm[t * K + t] = Qm[t * K + t]! + r[j * K + t]! * r[j * K + t]!;
          Qm[t * K + j] = -r[j * K + t]! * r[t * K + j]!;
        }
      }
      const maxIter = Math.max(100, K);
      const eps = 0.005 / K;
      for (let it = 0; it < maxIter; it++) {
        let pQp = 0;
        for (let t = 0; t < K; t++) {
          let s = 0;
          for (let j = 0; j < K; j++) s += Qm[t * K + j]! * pr[j]!;
          Qp[t] = s;
          pQp += pr[t]! * s;
        }
        let maxErr = 0;
        for (let t = 0; t < K; t++) maxErr = Math.max(maxErr, Math.abs(Qp[t]! - pQp));
        if (maxErr < eps) break;
        for (let t = 0; t < K; t++) {
          const diff = (-Qp[t]! + pQp) / Qm[t * K + t]!;
          pr[t] = pr[t]! + diff;
          pQp = (pQp + diff * (diff * Qm[t * K + t]! + 2 * Qp[t]!)) / (1 + diff) / (1 + diff);
          for (let j = 0; j < K; j++) {
            Qp[j] = (Qp[j]! + diff * Qm[t * K + j]!) / (1 + diff);
            pr[j] = pr[j]! / (1 + diff);
          }
        }
      }
      P.set(pr, q * K);
    }
    return P;
  }

  state(): EstimatorState {
    return {
      nClasses: this.nClasses,
      cols: this.cols,
      kernel: this.kernel,
      gamma: this.gamma,
      sv: this.sv,
      pairStart: this.pairStart,
      pairSv: this.pairSv,
      pairCoef: this.pairCoef,
      rho: this.rho,
    };
  }
}

export const svm: Algorithm = {
  name: "svm",
  tasks: ["classification"],
  params,
  wantsScaling: true,

  async fit(X, target, rawParams, ctx) {
    if (target.task !== "classification") throw new Error("svm supports classification only");
    const p = validateParams(params, rawParams, "svm");
    const kernel = p.kernel as Kernel;
    const C = p.C as number;
    const tol = p.tol as number;
    const cacheBytes = (p.cache_size as number) * 1024 * 1024;
    const n = X.rows;
    const d = X.cols;
    const K = target.nClasses;
    const y = target.y;
    if (n === 0) throw new Error("svm needs at least one training row");
    let gamma: number;
    if (typeof p.gamma === "number") {
      gamma = p.gamma;
    } else if (p.gamma === "auto") {
      gamma = 1 / Math.max(d, 1);
    } else {
      let m = 0;
      for (let i = 0; i < X.data.length; i++) m += X.data[i]!;
      m /= X.data.length || 1;
      let v = 0;
      for (let i = 0; i < X.data.length; i++) v += (X.data[i]! - m) ** 2;
      v /= X.data.length || 1;
      gamma = v > 0 ? 1 / (d * v) : 1;
    }

    const Xr = toRowMajor(X);
    const byClass: number[][] = Array.from({ length: K }, () => []);
    for (let i = 0; i < n; i++) byClass[y[i]!]!.push(i);
    const nPairs = (K * (K - 1)) / 2;
    const rho = new Float64Array(nPairs);
    const pairRows: number[][] = [];
    const pairCoefs: number[][] = [];
    let pi = 0;
    await checkpoint(ctx, { fraction: 0, message: `pair 0/${nPairs}` });
    for (let a = 0; a < K; a++) {
      for (let b = a + 1; b < K; b++) {
        const A = byClass[a]!;
        const B = byClass[b]!;
        const rows: number[] = [];
        const coefs: number[] = [];
        if (A.length === 0 || B.length === 0) {
          // A class absent from training: the pair always votes for the present one.
          rho[pi] = A.length > 0 ? -Infinity : B.length > 0 ? Infinity : 0;
        } else {
          const sub = A.concat(B);
          const l = sub.length;
          const yy = new Int8Array(l);
          for (let t = 0; t < l; t++) yy[t] = t < A.length ? 1 : -1;
          const S = new Float64Array(l * d);
          for (let t = 0; t < l; t++) S.set(Xr.subarray(sub[t]! * d, (sub[t]! + 1) * d), t * d);
          const norm = new Float64Array(l);
          for (let t = 0; t < l; t++) norm[t] = dot(S, t * d, S, t * d, d);
          const diag = kernel === "linear" ? norm : new Float64Array(l).fill(1);
          // Q_it = y_i y_t K(x_i, x_t) for the requested columns t
          const dots = new Float64Array(l);
          const qRow = (i: number, out: Float32Array, idx: Int32Array, count: number) => {
            const io = i * d;
            const yi = yy[i]!;
            dotsTo(dots, S, io, S, idx, count, d);
            if (kernel === "linear") {
              for (let c = 0; c < count; c++) {
                const t = idx[c]!;
                out[t] = yi * yy[t]! * dots[c]!;
              }
            } else {
              const ni = norm[i]!;
              for (let c = 0; c < count; c++) {
                const t = idx[c]!;
                out[t] = yi * yy[t]! * Math.exp(-gamma * Math.max(ni + norm[t]! - 2 * dots[c]!, 0));
              }
            }
          };
          const frac = pi / nPairs;
          const msg = `pair ${pi + 1}/${nPairs}`;
          const res = await solveSmo(yy, qRow, diag, C, tol, cacheBytes, () => checkpoint(ctx, { fraction: frac, message: msg }));
          for (let t = 0; t < l; t++) {
            if (res.alpha[t]! > 0) {
              rows.push(sub[t]!);
              coefs.push(res.alpha[t]! * yy[t]!);
            }
          }
          rho[pi] = res.rho;
        }
        pairRows.push(rows);
        pairCoefs.push(coefs);
        pi++;
        await checkpoint(ctx, { fraction: pi / nPairs, message: `pair ${pi}/${nPairs}` });
      }
    }
    // The union of the support vectors, in training order.
    const svIndex = new Int32Array(n).fill(-1);
    for (const rows of pairRows) for (const r of rows) svIndex[r] = 0;
    let nSv = 0;
    for (let i = 0; i < n; i++) if (svIndex[i] === 0) svIndex[i] = nSv++;
    const sv = new Float64Array(nSv * d);
    for (let i = 0; i < n; i++) if (svIndex[i]! >= 0) sv.set(Xr.subarray(i * d, (i + 1) * d), svIndex[i]! * d);
    const pairStart = new Int32Array(nPairs + 1);
    for (let q = 0; q < nPairs; q++) pairStart[q + 1] = pairStart[q]! + pairRows[q]!.length;
    const pairSv = new Int32Array(pairStart[nPairs]!);
    const pairCoef = new Float64Array(pairStart[nPairs]!);
    for (let q = 0; q < nPairs; q++) {
      pairRows[q]!.forEach((r, e) => {
        pairSv[pairStart[q]! + e] = svIndex[r]!;
        pairCoef[pairStart[q]! + e] = pairCoefs[q]![e]!;
      });
    }
    ctx.onProgress?.({ fraction: 1, message: `done: ${nSv} support vectors` });
    return new SvmModel(K, d, kernel, gamma, sv, pairStart, pairSv, pairCoef, rho);
  },

  load(state, task) {
    if (task !== "classification") throw new Error("svm supports classification only");
    const s = decodeState(state) as Record<string, unknown>;
    const { nClasses, cols, kernel, gamma, sv, pairStart, pairSv, pairCoef, rho } = s;
    if (
      typeof nClasses !== "number" ||
      typeof cols !== "number" ||
      (kernel !== "rbf" && kernel !== "linear") ||
      typeof gamma !== "number" ||
      !(sv instanceof Float64Array) ||
      !(pairStart instanceof Int32Array) ||
      !(pairSv instanceof Int32Array) ||
      !(pairCoef instanceof Float64Array) ||
      !(rho instanceof Float64Array)
    ) {
      throw new Error("svm state is malformed");
    }
    const nPairs = (nClasses * (nClasses - 1)) / 2;
    const nSv = cols === 0 ? 0 : sv.length / cols;
    if (rho.length !== nPairs || pairStart.length !== nPairs + 1 || pairStart[nPairs] !== pairSv.length || pairCoef.length !== pairSv.length || !Number.isInteger(nSv)) {
      throw new Error("svm state is malformed");
    }
    for (const i of pairSv) if (i < 0 || i >= nSv) throw new Error("svm state is malformed");
    return new SvmModel(nClasses, cols, kernel, gamma, sv, pairStart, pairSv, pairCoef, rho);
  },
};
