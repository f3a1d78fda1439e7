// knn: k-nearest neighbours for classification and regression (scikit-learn's KNeighbors*,
// brute force, Euclidean). The training rows are kept row-major; a query scans them once keeping
// the k nearest in a small sorted buffer (partial selection, no full sort). weights "distance"
// weights by 1/d, and exact matches (d = 0) take all the weight, as in scikit-learn.
// n_neighbors larger than the training set is clamped to its size (scikit-learn raises).

import { type Algorithm, type EstimatorState, type FittedEstimator, type Task, checkpoint } from "../core/estimator.js";
import { type Matrix, toRowMajor } from "../core/matrix.js";
import { type ParamSpecs, validateParams } from "../core/params.js";
import { decodeState } from "../core/state.js";

const params: ParamSpecs = {
  n_neighbors: { type: "int", default: 5, min: 1, doc: "Number of neighbours (clamped to the training set size)." },
  weights: { type: "enum", values: ["uniform", "distance"], default: "uniform", doc: "uniform: equal votes; distance: votes weighted by 1/distance." },
};

class KnnModel implements FittedEstimator {
  constructor(
    readonly task: Task,
    readonly cols: number,
    /** Training rows, row-major. */
    readonly Xr: Float64Array,
    /** Class index (classification) or value (regression) per training row. */
    readonly y: Float64Array,
    readonly nClasses: number,
    readonly k: number,
    readonly distanceWeights: boolean,
  ) {}

  /**
   * For every query row the k nearest training rows: indices and squared distances, rows x k,
   * nearest first (ties keep the lower training index).
   */
  private neighbours(X: Matrix): { idx: Int32Array; dist: Float64Array } {
    if (X.cols !== this.cols) throw new RangeError(`expected ${this.cols} features, got ${X.cols}`);
    const k = this.k;
    const d = this.cols;
    const nTrain = this.y.length;
    const Q = toRowMajor(X);
    const Xr = this.Xr;
    const idx = new Int32Array(X.rows * k);
    const dist = new Float64Array(X.rows * k);
    const bi = new Int32Array(k);
    const bd = new Float64Array(k);
    const d4 = d & ~3;
    for (let q = 0; q < X.rows; q++) {
      const qo = q * d;
      let filled = 0;
      let worst = Infinity;
      for (let t = 0; t < nTrain; t++) {
        const to = t * d;
        // Four accumulators (measured ~1.6x faster than one, and than breaking early on `worst`).
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let j = 0;
        for (; j < d4; j += 4) {
          const e0 = Q[qo + j]! - Xr[to + j]!;
          const e1 = Q[qo + j + 1]! - Xr[to + j + 1]!;
          const e2 = Q[qo + j + 2]! - Xr[to + j + 2]!;
          const e3 = Q[qo + j + 3]! - Xr[to + j + 3]!;
          s0 += e0 * e0;
          s1 += e1 * e1;
          s2 += e2 * e2;
          s3 += e3 * e3;
        }
        for (; j < d; j++) {
          const e = Q[qo + j]! - Xr[to + j]!;
          s0 += e * e;
        }
        const s = s0 + s1 + (s2 + s3);
        if (s >= worst) continue;
        // Insert into the sorted buffer.
        let pos = filled < k ? filled++ : k - 1;
        while (pos > 0 && bd[pos - 1]! > s) {
          bd[pos] = bd[pos - 1]!;
          bi[pos] = bi[pos - 1]!;
          pos--;
        }
        bd[pos] = s;
        bi[pos] = t;
        if (filled === k) worst = bd[k - 1]!;
      }
      idx.set(bi, q * k);
      dist.set(bd, q * k);
    }
    return { idx, dist };
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
    const y = Float64Array.from(target.y);
    const nClasses = target.task === "classification" ? target.nClasses : 0;
    ctx.onProgress?.({ fraction: 1, message: "done" });
    return new KnnModel(target.task, X.cols, toRowMajor(X), y, nClasses, k, p.weights === "distance");
  },

  load(state, task) {
    const s = decodeState(state) as Record<string, unknown>;
    const { cols, X, y, nClasses, k, weights } = s;
    if (typeof cols !== "number" || !(X instanceof Float64Array) || !(y instanceof Float64Array) || typeof nClasses !== "number" || typeof k !== "number") {
      throw new Error("knn state is malformed");
    }
    if (X.length !== y.length * cols || k < 1 || k > y.length || (weights !== "uniform" && weights !== "distance")) throw new Error("knn state is malformed");
    if (task === "classification") for (const c of y) if (!(c >= 0 && c < nClasses && Number.isInteger(c))) throw new Error("knn state is malformed");
    return new KnnModel(task, cols, X, y, nClasses, k, weights === "distance");
  },
};
