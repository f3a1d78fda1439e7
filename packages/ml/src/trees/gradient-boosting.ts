// gradient_boosting: scikit-learn's GradientBoosting{Classifier,Regressor} algorithm (regression
// trees on the negative gradient, Newton-step leaf values for log-loss, prior init) grown with the
// histogram trees of hist-tree.ts, like HistGradientBoosting.

import { exp } from "../core/exp.js";
import { checkpoint, type Algorithm, type EstimatorState, type FittedEstimator, type Task } from "../core/estimator.js";
import type { Matrix } from "../core/matrix.js";
import { validateParams, type ParamSpecs } from "../core/params.js";
import { Random } from "../core/random.js";
import { decodeState } from "../core/state.js";
import { argmaxRows, checkFeatures, checkInput, maxDepthOf, maxDepthSpec, maxFeaturesSpec, minSamplesLeafSpec, minSamplesSplitSpec, normalize, num, resolveMaxFeatures } from "./common.js";
import { addTree, binMatrix, Grower, TreesBuilder, unpackTrees, type FlatTrees, type PackedTrees } from "./hist-tree.js";

export const gradientBoostingParams: ParamSpecs = {
  n_estimators: { type: "int", default: 100, min: 1, doc: "Boosting rounds (classification with k > 2 classes fits k trees per round)." },
  learning_rate: { type: "float", default: 0.1, min: 0, exclusiveMin: true, doc: "Shrinks each tree's contribution." },
  max_depth: maxDepthSpec(3),
  subsample: { type: "float", default: 1.0, min: 0, exclusiveMin: true, max: 1, doc: "Fraction of rows drawn (without replacement) for each round." },
  min_samples_split: minSamplesSplitSpec,
  min_samples_leaf: minSamplesLeafSpec,
  max_features: maxFeaturesSpec('Features considered per split: null = all, "sqrt", "log2", a fraction (<= 1) or a count (> 1).'),
};

/**
 * mode: "regression" (squared error), "binary" (log-loss on classes[1] vs classes[0]),
 * "multiclass" (softmax over classes, trees ordered round by round, one per class), or
 * "constant" (one class seen in training: it gets probability 1). Raw score = init + sum of the
 * trees' leaf values (already multiplied by the learning rate).
 */
export interface BoostingState extends EstimatorState {
  kind: "boosting";
  task: Task;
  mode: "regression" | "binary" | "multiclass" | "constant";
  nFeatures: number;
  nClasses: number;
  /** Class indices the raw scores are for (classification). */
  classes: Int32Array;
  init: Float64Array;
  importances: Float64Array;
  trees: PackedTrees;
}

class FittedBoosting implements FittedEstimator {
  private readonly trees: FlatTrees;
  constructor(
    private readonly s: BoostingState,
    trees?: FlatTrees,
  ) {
    this.trees = trees ?? unpackTrees(s.trees, s.nFeatures);
  }

  /** rows x k raw scores (k = init.length), row-major. */
  private raw(X: Matrix): Float64Array {
    checkFeatures(X, this.s.nFeatures);
    const { init } = this.s;
    const trees = this.trees;
    const k = init.length;
    const n = X.rows;
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = init[c]!;
    for (let t = 0; t < trees.nTrees; t++) addTree(trees, t, X, out, k, t % k);
    return out;
  }

  predict(X: Matrix): Float64Array | Int32Array {
    if (this.s.task === "regression") return this.raw(X);
    return argmaxRows(this.predictProba(X), X.rows, this.s.nClasses);
  }

  predictProba(X: Matrix): Float64Array {
    const s = this.s;
    if (s.task !== "classification") throw new Error("predictProba is for classification");
    const n = X.rows;
    const K = s.nClasses;
    const out = new Float64Array(n * K);
    if (s.mode === "constant") {
      checkFeatures(X, s.nFeatures);
      for (let i = 0; i < n; i++) out[i * K + s.classes[0]!] = 1;
      return out;
    }
    const raw = this.raw(X);
    if (s.mode === "binary") {
      const [c0, c1] = [s.classes[0]!, s.classes[1]!];
      for (let i = 0; i < n; i++) {
        const p = 1 / (1 + Math.exp(-raw[i]!));
        out[i * K + c1] = p;
        out[i * K + c0] = 1 - p;
      }
      return out;
    }
    const k = s.classes.length;
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let c = 0; c < k; c++) mx = Math.max(mx, raw[i * k + c]!);
      let z = 0;
      for (let c = 0; c < k; c++) z += Math.exp(raw[i * k + c]! - mx);
      for (let c = 0; c < k; c++) out[i * K + s.classes[c]!] = Math.exp(raw[i * k + c]! - mx) / z;
    }
    return out;
  }

  featureImportances(): Float64Array {
    return this.s.importances.slice();
  }

  state(): EstimatorState {
    return this.s;
  }
}

export const gradientBoosting: Algorithm = {
  name: "gradient_boosting",
  tasks: ["classification", "regression"],
  params: gradientBoostingParams,
  wantsScaling: false,
  async fit(X, target, params, ctx) {
    const p = validateParams(gradientBoostingParams, params, "gradient_boosting");
    checkInput(X, target);
    const maxFeatures = resolveMaxFeatures(p.max_features, X.cols, "all");
    const rounds = p.n_estimators as number;
    const lr = p.learning_rate as number;
    const subsample = p.subsample as number;
    await checkpoint(ctx);
    const n = X.rows;
    const d = X.cols;
    const task = target.task;
    const nClasses = task === "classification" ? target.nClasses : 1;
    // classes present and the mode
    let classes = new Int32Array(0);
    let mode: BoostingState["mode"] = "regression";
    if (target.task === "classification") {
      const seen = new Float64Array(nClasses);
      for (let i = 0; i < n; i++) seen[target.y[i]!]!++;
      const present: number[] = [];
      for (let c = 0; c < nClasses; c++) if (seen[c]! > 0) present.push(c);
      classes = Int32Array.from(present);
      mode = present.length === 1 ? "constant" : present.length === 2 ? "binary" : "multiclass";
    }
    const importances = new Float64Array(d);
    const builder = new TreesBuilder(1);
    if (mode === "constant") {
      ctx.onProgress?.({ fraction: 1, message: "single class" });
      return new FittedBoosting({ kind: "boosting", task, mode, nFeatures: d, nClasses, classes, init: new Float64Array(0), importances, trees: builder.pack({ rows: 0, cols: d, codes: new Uint8Array(0), nBins: new Int32Array(d), thresholds: Array.from({ length: d }, () => new Float64Array(0)) }) });
    }
    const k = mode === "multiclass" ? classes.length : 1;
    // y per raw-score column: regression target, or 0/1 indicators
    const Y = new Float64Array(n * k); // column-major: Y[c*n + i]
    const init = new Float64Array(k);
    if (target.task === "regression") {
      let s = 0;
      for (let i = 0; i < n; i++) s += target.y[i]!;
      init[0] = s / n;
      Y.set(target.y);
    } else if (mode === "binary") {
      let pos = 0;
      for (let i = 0; i < n; i++) if (target.y[i] === classes[1]) (Y[i] = 1), pos++;
      init[0] = Math.log(pos / (n - pos));
    } else {
      const index = new Int32Array(nClasses).fill(-1);
      classes.forEach((c, j) => (index[c] = j));
      const cnt = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        const j = index[target.y[i]!]!;
        Y[j * n + i] = 1;
        cnt[j]!++;
      }
      for (let j = 0; j < k; j++) init[j] = Math.log(cnt[j]! / n);
    }
    const F = new Float64Array(n * k); // column-major raw scores
    for (let j = 0; j < k; j++) F.fill(init[j]!, j * n, (j + 1) * n);
    const P = new Float64Array(n * k); // probabilities (classification)
    const resid = new Float64Array(n);
    const binned = binMatrix(X);
    const grower = new Grower(binned, {
      criterion: "squared_error",
      nClasses: 1,
      maxDepth: maxDepthOf(p.max_depth),
      minSamplesSplit: p.min_samples_split as number,
      minSamplesLeaf: p.min_samples_leaf as number,
      maxFeatures,
    });
    const rng = new Random(ctx.seed);
    const rows = new Int32Array(n);
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    const nSub = subsample < 1 ? Math.max(1, Math.floor(subsample * n)) : n;
    const leaf = new Int32Array(n);
    const binaryLeaf = (r: Int32Array, s: number, e: number): number => {
      let num = 0;
      let den = 0;
      for (let i = s; i < e; i++) {
        const row = r[i]!;
        const g = resid[row]!;
        num += g;
        const q = Y[row]! - g;
        den += q * (1 - q);
      }
      return Math.abs(den) < 1e-150 ? 0 : num / den;
    };
    const multiLeaf = (r: Int32Array, s: number, e: number): number => {
      let num = 0;
      let den = 0;
      for (let i = s; i < e; i++) {
        const g = resid[r[i]!]!;
        num += g;
        const a = Math.abs(g);
        den += a * (1 - a);
      }
      return Math.abs(den) < 1e-150 ? 0 : ((k - 1) / k) * (num / den);
    };
    // without subsampling each leaf adds its (shrunk) value to its rows' scores as it is made
    // (no traversal, no per-row leaf index); column fo of F
    let fo = 0;
    const addLeaf = (r: Int32Array, s: number, e: number, value: number): void => {
      const v = value * lr;
      for (let i = s; i < e; i++) F[fo + r[i]!]! += v;
    };
    for (let round = 0; round < rounds; round++) {
      // rows of this round (scikit-learn draws without replacement)
      if (nSub < n) {
        rows.set(all);
        for (let i = 0; i < nSub; i++) {
          const j = i + rng.int(n - i);
          const t = rows[i]!;
          rows[i] = rows[j]!;
          rows[j] = t;
        }
      }
      if (mode === "multiclass") {
        for (let i = 0; i < n; i++) {
          let mx = -Infinity;
          for (let j = 0; j < k; j++) mx = Math.max(mx, F[j * n + i]!);
          let z = 0;
          for (let j = 0; j < k; j++) z += P[j * n + i] = exp(F[j * n + i]! - mx);
          for (let j = 0; j < k; j++) P[j * n + i]! /= z;
        }
      }
      for (let j = 0; j < k; j++) {
        const o = j * n;
        if (mode === "regression") for (let i = 0; i < n; i++) resid[i] = Y[i]! - F[i]!;
        else if (mode === "binary") for (let i = 0; i < n; i++) resid[i] = Y[i]! - 1 / (1 + exp(-F[i]!));
        else for (let i = 0; i < n; i++) resid[i] = Y[o + i]! - P[o + i]!;
        if (nSub === n) rows.set(all);
        const t = builder.nodeOffset.length - 1;
        const leafStart = builder.value.n;
        fo = o;
        grower.grow(rows, nSub, null, null, resid, builder, importances, rng, mode === "binary" ? binaryLeaf : mode === "multiclass" ? multiLeaf : undefined, nSub === n ? addLeaf : undefined);
        const vals = builder.value.a;
        for (let q = leafStart; q < builder.value.n; q++) vals[q]! *= lr;
        if (nSub < n) {
          builder.applyBinned(t, binned, leaf);
          for (let i = 0; i < n; i++) F[o + i]! += vals[leaf[i]!]!;
        }
      }
      await checkpoint(ctx, { fraction: (round + 1) / rounds, message: `round ${round + 1}/${rounds}` });
    }
    normalize(importances);
    return new FittedBoosting({ kind: "boosting", task, mode, nFeatures: d, nClasses, classes, init, importances, trees: builder.pack(binned) });
  },
  load(raw, task) {
    // Raw typed arrays (a fitted state) or their tagged base64 form both load.
    const state = decodeState(raw) as EstimatorState;
    const s = state as Partial<BoostingState>;
    const modes = task === "regression" ? ["regression"] : ["binary", "multiclass", "constant"];
    if (s.kind !== "boosting" || s.task !== task || !modes.includes(s.mode as string) || !(s.classes instanceof Int32Array) || !(s.init instanceof Float64Array) || !(s.importances instanceof Float64Array) || !s.trees) {
      throw new Error("invalid gradient boosting state");
    }
    const nFeatures = num(state, "nFeatures");
    const nClasses = num(state, "nClasses");
    const trees = unpackTrees(s.trees as PackedTrees, nFeatures);
    const k = s.mode === "multiclass" ? s.classes.length : s.mode === "constant" ? 0 : 1;
    const nCls = s.mode === "regression" ? 0 : s.mode === "binary" ? 2 : s.mode === "constant" ? 1 : s.classes.length;
    if (
      trees.nOut !== 1 ||
      s.init.length !== k ||
      s.classes.length !== nCls ||
      (k > 0 && trees.nTrees % k !== 0) ||
      s.importances.length !== nFeatures ||
      Array.from(s.classes).some((c) => c < 0 || c >= nClasses)
    ) {
      throw new Error("invalid gradient boosting state");
    }
    return new FittedBoosting({ ...(s as BoostingState), nFeatures, nClasses }, trees);
  },
};
