// Test-only algorithms (not exported from the package): a nearest-centroid classifier (softmax of
// negative squared distances as probabilities, optional "importances") and a mean regressor. They
// stand in for the real algorithms in the preprocessing/evaluation/model tests.

import type { Algorithm, AlgorithmName, EstimatorState, FittedEstimator, Target, Task } from "../core/estimator.js";
import { checkpoint } from "../core/estimator.js";
import type { Matrix } from "../core/matrix.js";
import { decodeState, encodeState } from "../core/state.js";

function centroidEstimator(centroids: Float64Array, k: number, d: number, withImportances: boolean): FittedEstimator {
  const proba = (X: Matrix): Float64Array => {
    const out = new Float64Array(X.rows * k);
    for (let i = 0; i < X.rows; i++) {
      let min = Infinity;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const t = X.data[j * X.rows + i]! - centroids[c * d + j]!;
          s += t * t;
        }
        out[i * k + c] = Number.isNaN(centroids[c * d]!) ? Infinity : s;
        min = Math.min(min, out[i * k + c]!);
      }
      let z = 0;
      for (let c = 0; c < k; c++) z += out[i * k + c] = Math.exp(-(out[i * k + c]! - min));
      for (let c = 0; c < k; c++) out[i * k + c]! /= z;
    }
    return out;
  };
  const est: FittedEstimator = {
    predict(X) {
      const p = proba(X);
      const out = new Int32Array(X.rows);
      for (let i = 0; i < X.rows; i++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
        out[i] = best;
      }
      return out;
    },
    predictProba: proba,
    state: () => ({ centroids, k, d, withImportances }),
  };
  if (withImportances) {
    est.featureImportances = () => {
      const imp = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        let m = 0;
        for (let c = 0; c < k; c++) m += centroids[c * d + j]! / k;
        for (let c = 0; c < k; c++) imp[j]! += (centroids[c * d + j]! - m) ** 2;
      }
      const s = imp.reduce((a, b) => a + b, 0) || 1;
      return imp.map((v) => v / s);
    };
  }
  return est;
}

function meanEstimator(mean: number): FittedEstimator {
  return { predict: (X) => new Float64Array(X.rows).fill(mean), state: () => ({ mean }) };
}

/**
 * `encodedState`: state() returns core encodeState(...) and load() runs decodeState first (the
 * real algorithms return raw typed arrays and decode in load(), which accepts both forms) — to
 * check the model format copes with an already-encoded state too.
 */
export function testAlgorithm(name: AlgorithmName, options: { importances?: boolean; scaling?: boolean; encodedState?: boolean } = {}): Algorithm {
  const base = plainAlgorithm(name, options);
  if (!options.encodedState) return base;
  return {
    ...base,
    async fit(X, target, params, ctx) {
      const f = await base.fit(X, target, params, ctx);
      return { ...f, state: () => encodeState(f.state()) as EstimatorState };
    },
    load(state, task) {
      const f = base.load(decodeState(state) as EstimatorState, task);
      return { ...f, state: () => encodeState(f.state()) as EstimatorState };
    },
  };
}

function plainAlgorithm(name: AlgorithmName, options: { importances?: boolean; scaling?: boolean }): Algorithm {
  return {
    name,
    tasks: ["classification", "regression"],
    params: { shrink: { type: "float", default: 0, min: 0, max: 1, doc: "unused" } },
    wantsScaling: options.scaling ?? false,
    async fit(X: Matrix, target: Target, _params, ctx) {
      if (target.task === "regression") {
        let s = 0;
        for (const v of target.y) s += v;
        await checkpoint(ctx, { fraction: 1, message: "mean" });
        return meanEstimator(target.y.length ? s / target.y.length : 0);
      }
      const k = target.nClasses;
      const d = X.cols;
      const sums = new Float64Array(k * d);
      const counts = new Float64Array(k);
      for (let i = 0; i < X.rows; i++) {
        const c = target.y[i]!;
        counts[c]!++;
        for (let j = 0; j < d; j++) sums[c * d + j]! += X.data[j * X.rows + i]!;
      }
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < d; j++) sums[c * d + j] = counts[c] ? sums[c * d + j]! / counts[c]! : NaN;
        await checkpoint(ctx, { fraction: (c + 1) / k, message: `class ${c + 1}/${k}` });
      }
      return centroidEstimator(sums, k, d, options.importances ?? false);
    },
    load(state: EstimatorState, task: Task) {
      if (task === "regression") {
        if (typeof state.mean !== "number") throw new Error("mean must be a number");
        return meanEstimator(state.mean);
      }
      const { centroids, k, d, withImportances } = state as { centroids: unknown; k: unknown; d: unknown; withImportances: unknown };
      if (!(centroids instanceof Float64Array) || typeof k !== "number" || typeof d !== "number" || centroids.length !== k * d) throw new Error("bad centroid state");
      return centroidEstimator(centroids, k, d, withImportances === true);
    },
  };
}
