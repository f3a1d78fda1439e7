// knn: k-nearest neighbours for classification and regression (scikit-learn's KNeighbors*,
// brute force, Euclidean). fit keeps a copy of the training rows (transposed to row-major on first
// use). A prediction screens training rows with a cheap lower bound of the squared distance from
// blocked dot products (see neighbours(); exact integer ones, three rows per multiply, when the
// data allows: ./quantized.ts), computes the exact distance only for rows that could
// enter the k nearest, and keeps those in a small sorted buffer per query (partial selection, no
// full sort), so results equal a plain scan. weights "distance" weights by 1/d, and exact matches
// (d = 0) take all the weight, as in scikit-learn. n_neighbors larger than the training set is
// clamped to its size (scikit-learn raises).

import { type Algorithm, type EstimatorState, type FittedEstimator, type Task, checkpoint } from "../core/estimator.js";
import { type Matrix, toRowMajor } from "../core/matrix.js";
import { type ParamSpecs, validateParams } from "../core/params.js";
import { decodeState } from "../core/state.js";
import { type QuantizedQueries, type QuantizedTraining, LANE, LANE2, lane, quantizeQueries, ROUND, quantizeTraining, threshold } from "./quantized.js";

const params: ParamSpecs = {
  n_neighbors: { type: "int", default: 5, min: 1, doc: "Number of neighbours (clamped to the training set size)." },
  weights: { type: "enum", values: ["uniform", "distance"], default: "uniform", doc: "uniform: equal votes; distance: votes weighted by 1/distance." },
};

/** Relative margin on the expansion-based lower bound: well above its rounding error (~d ulp). */
function marginFactor(d: number): number {
  return Math.max(1e-10, 64 * (d + 8) * Number.EPSILON);
}

function sqNorm(a: Float64Array, off: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += a[off + j]! * a[off + j]!;
  return s;
}

/** Exact squared distance of query row (Q at qo) to training row t; inserts it into query q's sorted k-buffer when it beats the current k-th. */
function consider(
  Q: Float64Array,
  qo: number,
  Xt: Float64Array,
  t: number,
  d: number,
  k: number,
  q: number,
  idx: Int32Array,
  dist: Float64Array,
  filled: Int32Array,
  worst: Float64Array,
  nTrain: number,
): void {
  if (t >= nTrain) return;
  const to = t * d;
  // Four accumulators, as the plain scan always did (same rounding, same ties).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const d4 = d & ~3;
  let j = 0;
  for (; j < d4; j += 4) {
    const e0 = Q[qo + j]! - Xt[to + j]!;
    const e1 = Q[qo + j + 1]! - Xt[to + j + 1]!;
    const e2 = Q[qo + j + 2]! - Xt[to + j + 2]!;
    const e3 = Q[qo + j + 3]! - Xt[to + j + 3]!;
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  for (; j < d; j++) {
    const e = Q[qo + j]! - Xt[to + j]!;
    s0 += e * e;
  }
  const s = s0 + s1 + (s2 + s3);
  if (s >= worst[q]!) return;
  const base = q * k;
  const f = filled[q]!;
  let pos = f < k ? f : k - 1;
  if (f < k) filled[q] = f + 1;
  while (pos > 0 && dist[base + pos - 1]! > s) {
    dist[base + pos] = dist[base + pos - 1]!;
    idx[base + pos] = idx[base + pos - 1]!;
    pos--;
  }
  dist[base + pos] = s;
  idx[base + pos] = t;
  if (filled[q] === k) worst[q] = dist[base + k - 1]!;
}

class KnnModel implements FittedEstimator {
  constructor(
    readonly task: Task,
    readonly cols: number,
    /** Training rows: row-major (a loaded state), or a column-major copy transposed on first use (fit stays a plain copy). */
    private readonly rows: { rowMajor: Float64Array } | { colMajor: Float64Array },
    /** Class index (classification) or value (regression) per training row. */
    readonly y: Float64Array,
    readonly nClasses: number,
    readonly k: number,
    readonly distanceWeights: boolean,
  ) {}

  private rowMajorCache?: Float64Array;

  /** Training rows, row-major. */
  private get Xr(): Float64Array {
    if (this.rowMajorCache) return this.rowMajorCache;
    const r = this.rows;
    if ("rowMajor" in r) return (this.rowMajorCache = r.rowMajor);
    const n = this.y.length;
    this.rowMajorCache = toRowMajor({ rows: n, cols: this.cols, data: r.colMajor });
    return this.rowMajorCache;
  }

  /** Training rows padded to an even count (the pad row never qualifies) and their squared norms scaled by (1 - margin). */
  private padded?: { X: Float64Array; normLo: Float64Array };

  private trainingBlock(): { X: Float64Array; normLo: Float64Array } {
    if (this.padded) return this.padded;
    const d = this.cols;
    const n = this.y.length;
    const nPad = n + (n & 1);
    const X = new Float64Array(nPad * d);
    X.set(this.Xr);
    const normLo = new Float64Array(nPad);
    const f = marginFactor(d);
    for (let t = 0; t < n; t++) normLo[t] = sqNorm(this.Xr, t * d, d) * (1 - f);
    if (nPad > n) normLo[n] = Infinity;
    this.padded = { X, normLo };
    return this.padded;
  }

  /**
   * For every query row the k nearest training rows: indices and squared distances, rows x k,
   * nearest first (ties keep the lower training index).
   *
   * Candidates are screened with a lower bound of the squared distance from the expansion
   * ||q||^2 + ||x||^2 - 2 q.x (dot products blocked 4 queries x 2 training rows, over tiles of
   * training rows that stay in cache), shrunk by a margin larger than its rounding error; only
   * rows whose bound beats the current k-th distance get the exact (difference-based) distance,
   * so the result is identical to a plain scan. When the data suits (finite, at most 303
   * features) the screening is the cheaper integer one of ./quantized.ts instead.
   */
  private neighbours(X: Matrix): { idx: Int32Array; dist: Float64Array } {
    if (X.cols !== this.cols) throw new RangeError(`expected ${this.cols} features, got ${X.cols}`);
    const k = this.k;
    const d = this.cols;
    const nTrain = this.y.length;
    const { X: Xt, normLo } = this.trainingBlock();
    const nTrainPad = normLo.length;
    const nq = X.rows;
    const nqPad = (nq + 3) & ~3;
    // Queries row-major, padded to a multiple of 4 with copies of row 0 (results discarded).
    const Q = new Float64Array(nqPad * d);
    for (let j = 0; j < d; j++) {
      const src = j * nq;
      for (let i = 0; i < nq; i++) Q[i * d + j] = X.data[src + i]!;
    }
    for (let i = nq; i < nqPad; i++) for (let j = 0; j < d; j++) Q[i * d + j] = Q[j]!;
    const f = marginFactor(d);
    const qLo = new Float64Array(nqPad);
    for (let i = 0; i < nqPad; i++) qLo[i] = sqNorm(Q, i * d, d) * (1 - f);
    const idx = new Int32Array(nqPad * k);
    const dist = new Float64Array(nqPad * k);
    const filled = new Int32Array(nqPad);
    const worst = new Float64Array(nqPad).fill(Infinity);
    const qt = this.quantized();
    const qq = qt ? quantizeQueries(Q, nqPad, qt) : null;
    if (qt && qq) {
      this.scanQuantized(Q, qq, qt, Xt, idx, dist, filled, worst);
      return { idx: idx.subarray(0, nq * k), dist: dist.subarray(0, nq * k) };
    }
    const tile = Math.max(2, Math.min(nTrainPad, (Math.floor(16384 / Math.max(d, 1)) & ~1) || 2));
    for (let t0 = 0; t0 < nTrainPad; t0 += tile) {
      const t1 = Math.min(nTrainPad, t0 + tile);
      for (let q = 0; q < nqPad; q += 4) {
        const o0 = q * d;
        const o1 = o0 + d;
        const o2 = o1 + d;
        const o3 = o2 + d;
        const l0 = qLo[q]!;
        const l1 = qLo[q + 1]!;
        const l2 = qLo[q + 2]!;
        const l3 = qLo[q + 3]!;
        for (let t = t0; t < t1; t += 2) {
          const a = t * d;
          const b = a + d;
          let s0a = 0;
          let s0b = 0;
          let s1a = 0;
          let s1b = 0;
          let s2a = 0;
          let s2b = 0;
          let s3a = 0;
          let s3b = 0;
          for (let j = 0; j < d; j++) {
            const xa = Xt[a + j]!;
            const xb = Xt[b + j]!;
            const v0 = Q[o0 + j]!;
            s0a += v0 * xa;
            s0b += v0 * xb;
            const v1 = Q[o1 + j]!;
            s1a += v1 * xa;
            s1b += v1 * xb;
            const v2 = Q[o2 + j]!;
            s2a += v2 * xa;
            s2b += v2 * xb;
            const v3 = Q[o3 + j]!;
            s3a += v3 * xa;
            s3b += v3 * xb;
          }
          const na = normLo[t]!;
          const nb = normLo[t + 1]!;
          if (l0 + na - 2 * s0a < worst[q]!) consider(Q, o0, Xt, t, d, k, q, idx, dist, filled, worst, nTrain);
          if (l0 + nb - 2 * s0b < worst[q]!) consider(Q, o0, Xt, t + 1, d, k, q, idx, dist, filled, worst, nTrain);
          if (l1 + na - 2 * s1a < worst[q + 1]!) consider(Q, o1, Xt, t, d, k, q + 1, idx, dist, filled, worst, nTrain);
          if (l1 + nb - 2 * s1b < worst[q + 1]!) consider(Q, o1, Xt, t + 1, d, k, q + 1, idx, dist, filled, worst, nTrain);
          if (l2 + na - 2 * s2a < worst[q + 2]!) consider(Q, o2, Xt, t, d, k, q + 2, idx, dist, filled, worst, nTrain);
          if (l2 + nb - 2 * s2b < worst[q + 2]!) consider(Q, o2, Xt, t + 1, d, k, q + 2, idx, dist, filled, worst, nTrain);
          if (l3 + na - 2 * s3a < worst[q + 3]!) consider(Q, o3, Xt, t, d, k, q + 3, idx, dist, filled, worst, nTrain);
          if (l3 + nb - 2 * s3b < worst[q + 3]!) consider(Q, o3, Xt, t + 1, d, k, q + 3, idx, dist, filled, worst, nTrain);
        }
      }
    }
    return { idx: idx.subarray(0, nq * k), dist: dist.subarray(0, nq * k) };
  }

  private quantizedCache?: QuantizedTraining | null;

  private quantized(): QuantizedTraining | null {
    if (this.quantizedCache === undefined) this.quantizedCache = quantizeTraining(this.Xr, this.y.length, this.cols);
    return this.quantizedCache;
  }

  /**
   * The scan with integer screening (see ./quantized.ts): packed dot products blocked 4 queries x
   * 2 groups (6 training rows) over tiles of training rows; the rows whose lane is under the
   * query's threshold get the exact distance (consider), in training order.
   */
  private scanQuantized(Q: Float64Array, qq: QuantizedQueries, qt: QuantizedTraining, Xt: Float64Array, idx: Int32Array, dist: Float64Array, filled: Int32Array, worst: Float64Array): void {
    const d = this.cols;
    const nqPad = worst.length;
    const { packed, nPad, dq } = qt;
    const qv = qq.q;
    const thr = new Float64Array(nqPad).fill(Infinity);
    const tile = Math.max(6, Math.floor(16384 / dq / 6) * 6);
    const acc = new Float64Array(8);
    // rows t..t+2 (accumulator v) for query q: the exact check of those under the threshold
    const check = (v: number, q: number, t: number): void => {
      for (let i = 0; i < 3; i++) {
        if (!(lane(v, i) < thr[q]!)) continue;
        consider(Q, q * d, Xt, t + i, d, this.k, q, idx, dist, filled, worst, this.y.length);
        thr[q] = threshold(worst[q]!, qq.err[q]!, qq.norm[q]!, qt);
      }
    };
    for (let t0 = 0; t0 < nPad; t0 += tile) {
      const t1 = Math.min(nPad, t0 + tile);
      for (let q = 0; q < nqPad; q += 4) {
        const qb = q * dq;
        for (let t = t0; t < t1; t += 6) {
          let a0 = 0;
          let b0 = 0;
          let a1 = 0;
          let b1 = 0;
          let a2 = 0;
          let b2 = 0;
          let a3 = 0;
          let b3 = 0;
          for (let j = 0, pj = (t / 3) * dq, qj = qb; j < dq; j++, pj += 2, qj += 4) {
            const xa = packed[pj]!;
            const xb = packed[pj + 1]!;
            const v0 = qv[qj]!;
            a0 += v0 * xa;
            b0 += v0 * xb;
            const v1 = qv[qj + 1]!;
            a1 += v1 * xa;
            b1 += v1 * xb;
            const v2 = qv[qj + 2]!;
            a2 += v2 * xa;
            b2 += v2 * xb;
            const v3 = qv[qj + 3]!;
            a3 += v3 * xa;
            b3 += v3 * xb;
          }
          acc[0] = a0;
          acc[1] = b0;
          acc[2] = a1;
          acc[3] = b1;
          acc[4] = a2;
          acc[5] = b2;
          acc[6] = a3;
          acc[7] = b3;
          for (let u = 0; u < 8; u++) {
            // the lanes (see lane()); separate comparisons, as rows rarely pass
            const v = acc[u]!;
            const s2 = v / LANE2 + ROUND - ROUND;
            const r = v - s2 * LANE2;
            const s1 = r / LANE + ROUND - ROUND;
            const s0 = r - s1 * LANE;
            const th = thr[q + (u >> 1)]!;
            if (s0 < th || s1 < th || s2 < th) check(v, q + (u >> 1), t + 3 * (u & 1));
          }
        }
      }
    }
  }

  /** Per query row, the weights of its k neighbours (rows x k). */
  private weightsOf(dist: Float64Array, rows: number): Float64Array {
    const k = this.k;
    const w = new Float64Array(rows * k);
    if (!this.distanceWeights) return w.fill(1);
    for (let q = 0; q < rows; q++) {
      let exact = false;
      for (let t = 0; t < k; t++) if (dist[q * k + t] === 0) exact = true;
      for (let t = 0; t < k; t++) {
        const dd = dist[q * k + t]!;
        w[q * k + t] = exact ? (dd === 0 ? 1 : 0) : 1 / Math.sqrt(dd);
      }
    }
    return w;
  }

  predictProba(X: Matrix): Float64Array {
    if (this.task !== "classification") throw new Error("predictProba is for classification");
    const { idx, dist } = this.neighbours(X);
    const w = this.weightsOf(dist, X.rows);
    const K = this.nClasses;
    const k = this.k;
    const P = new Float64Array(X.rows * K);
    for (let q = 0; q < X.rows; q++) {
      let s = 0;
      for (let t = 0; t < k; t++) {
        const c = this.y[idx[q * k + t]!]!;
        P[q * K + c] = P[q * K + c]! + w[q * k + t]!;
        s += w[q * k + t]!;
      }
      for (let c = 0; c < K; c++) P[q * K + c] = P[q * K + c]! / s;
    }
    return P;
  }

  predict(X: Matrix): Float64Array | Int32Array {
    if (this.task === "classification") {
      const P = this.predictProba(X);
      const K = this.nClasses;
      const out = new Int32Array(X.rows);
      for (let q = 0; q < X.rows; q++) {
        let best = 0;
        for (let c = 1; c < K; c++) if (P[q * K + c]! > P[q * K + best]!) best = c;
        out[q] = best;
      }
      return out;
    }
    const { idx, dist } = this.neighbours(X);
    const w = this.weightsOf(dist, X.rows);
    const k = this.k;
    const out = new Float64Array(X.rows);
    for (let q = 0; q < X.rows; q++) {
      let s = 0;
      let ws = 0;
      for (let t = 0; t < k; t++) {
        s += w[q * k + t]! * this.y[idx[q * k + t]!]!;
        ws += w[q * k + t]!;
      }
      out[q] = s / ws;
    }
    return out;
  }

  state(): EstimatorState {
    return {
      cols: this.cols,
      X: this.Xr,
      y: this.y,
      nClasses: this.nClasses,
      k: this.k,
      weights: this.distanceWeights ? "distance" : "uniform",
    };
  }
}

export const knn: Algorithm = {
  name: "knn",
  tasks: ["classification", "regression"],
  params,
  wantsScaling: true,

  async fit(X, target, rawParams, ctx) {
    const p = validateParams(params, rawParams, "knn");
    if (X.rows === 0) throw new Error("knn needs at least one training row");
    await checkpoint(ctx, { fraction: 0, message: "storing training rows" });
    const k = Math.min(p.n_neighbors as number, X.rows);
    const y = new Float64Array(target.y);
    const nClasses = target.task === "classification" ? target.nClasses : 0;
    ctx.onProgress?.({ fraction: 1, message: "done" });
    return new KnnModel(target.task, X.cols, { colMajor: X.data.slice(0, X.rows * X.cols) }, y, nClasses, k, p.weights === "distance");
  },

  load(state, task) {
    const s = decodeState(state) as Record<string, unknown>;
    const { cols, X, y, nClasses, k, weights } = s;
    if (typeof cols !== "number" || !(X instanceof Float64Array) || !(y instanceof Float64Array) || typeof nClasses !== "number" || typeof k !== "number") {
      throw new Error("knn state is malformed");
    }
    if (X.length !== y.length * cols || k < 1 || k > y.length || (weights !== "uniform" && weights !== "distance")) throw new Error("knn state is malformed");
    if (task === "classification") for (const c of y) if (!(c >= 0 && c < nClasses && Number.isInteger(c))) throw new Error("knn state is malformed");
    return new KnnModel(task, cols, { rowMajor: X }, y, nClasses, k, weights === "distance");
  },
};
