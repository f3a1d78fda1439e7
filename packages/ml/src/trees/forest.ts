// decision_tree and random_forest: both are forests of histogram trees (a decision tree is one
// tree on all rows and, by default, all features).

import { checkpoint, type Algorithm, type EstimatorState, type FitContext, type FittedEstimator, type Target, type Task } from "../core/estimator.js";
import type { Matrix } from "../core/matrix.js";
import { validateParams, type ParamSpecs, type ParamValues } from "../core/params.js";
import { Random } from "../core/random.js";
import { decodeState } from "../core/state.js";
import {
  argmaxRows,
  checkFeatures,
  checkInput,
  criterionSpec,
  maxDepthOf,
  maxDepthSpec,
  maxFeaturesSpec,
  minSamplesLeafSpec,
  minSamplesSplitSpec,
  normalize,
  num,
  resolveCriterion,
  resolveMaxFeatures,
} from "./common.js";
import { addTree, applyTree, binMatrix, Grower, TreesBuilder, unpackTrees, type FlatTrees, type PackedTrees } from "./hist-tree.js";

export const decisionTreeParams: ParamSpecs = {
  criterion: criterionSpec,
  max_depth: maxDepthSpec(null),
  min_samples_split: minSamplesSplitSpec,
  min_samples_leaf: minSamplesLeafSpec,
  max_features: maxFeaturesSpec('Features considered per split: null = all, "sqrt", "log2", a fraction (<= 1) or a count (> 1).'),
};

export const randomForestParams: ParamSpecs = {
  n_estimators: { type: "int", default: 100, min: 1, doc: "Number of trees." },
  criterion: criterionSpec,
  max_depth: maxDepthSpec(null),
  min_samples_split: minSamplesSplitSpec,
  min_samples_leaf: minSamplesLeafSpec,
  max_features: maxFeaturesSpec(
    'Features considered per split: null = scikit-learn\'s default for the task ("sqrt" for classification, 1.0 = all for regression), "sqrt", "log2", a fraction (<= 1) or a count (> 1).',
  ),
  bootstrap: { type: "bool", default: true, doc: "Fit each tree on a bootstrap sample of the rows." },
};

/** The fitted state: the flat trees (see hist-tree.ts) plus what predict needs. */
export interface ForestState extends EstimatorState {
  kind: "forest";
  task: Task;
  nFeatures: number;
  /** Classification: number of classes (= nOut); regression: 1. */
  nClasses: number;
  importances: Float64Array;
  trees: PackedTrees;
}

class FittedForest implements FittedEstimator {
  private readonly trees: FlatTrees;
  constructor(
    private readonly s: ForestState,
    trees?: FlatTrees,
  ) {
    this.trees = trees ?? unpackTrees(s.trees, s.nFeatures);
  }

  private accumulate(X: Matrix): Float64Array {
    const { trees } = this;
    checkFeatures(X, this.s.nFeatures);
    const k = trees.nOut;
    const n = X.rows;
    const acc = new Float64Array(n * k);
    const leaf = new Int32Array(n);
    const v = trees.value;
    for (let t = 0; t < trees.nTrees; t++) {
      if (k === 1) addTree(trees, t, X, acc, 1, 0);
      else {
        applyTree(trees, t, X, leaf);
        for (let i = 0; i < n; i++) {
          const o = leaf[i]!;
          for (let c = 0; c < k; c++) acc[i * k + c]! += v[o + c]!;
        }
      }
    }
    const inv = 1 / trees.nTrees;
    for (let i = 0; i < acc.length; i++) acc[i]! *= inv;
    return acc;
  }

  predict(X: Matrix): Float64Array | Int32Array {
    const a = this.accumulate(X);
    return this.s.task === "regression" ? a : argmaxRows(a, X.rows, this.trees.nOut);
  }

  predictProba(X: Matrix): Float64Array {
    if (this.s.task !== "classification") throw new Error("predictProba is for classification");
    return this.accumulate(X);
  }

  featureImportances(): Float64Array {
    return this.s.importances.slice();
  }

  state(): EstimatorState {
    return this.s;
  }
}

interface ForestOptions {
  nTrees: number;
  bootstrap: boolean;
  maxFeaturesDefault: "all" | "sqrt";
  label: string;
}

async function fitForest(X: Matrix, target: Target, p: ParamValues, ctx: FitContext, o: ForestOptions): Promise<FittedEstimator> {
  checkInput(X, target);
  const task = target.task;
  const criterion = resolveCriterion(p.criterion, task);
  const maxFeatures = resolveMaxFeatures(p.max_features, X.cols, o.maxFeaturesDefault);
  await checkpoint(ctx);
  const n = X.rows;
  const d = X.cols;
  const binned = binMatrix(X);
  const nClasses = task === "classification" ? target.nClasses : 1;
  const grower = new Grower(binned, {
    criterion,
    nClasses,
    maxDepth: maxDepthOf(p.max_depth),
    minSamplesSplit: p.min_samples_split as number,
    minSamplesLeaf: p.min_samples_leaf as number,
    maxFeatures,
    weighted: o.bootstrap,
  });
  const builder = new TreesBuilder(nClasses);
  const rng = new Random(ctx.seed);
  const importances = new Float64Array(d);
  const treeImp = new Float64Array(d);
  const rows = new Int32Array(n);
  const counts = new Float64Array(n);
  const yc = target.task === "classification" ? target.y : null;
  const yr = target.task === "regression" ? target.y : null;
  for (let t = 0; t < o.nTrees; t++) {
    const trng = rng.fork();
    let m = n;
    let w: Float64Array | null = null;
    if (o.bootstrap) {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[trng.int(n)]!++;
      m = 0;
      for (let i = 0; i < n; i++) if (counts[i]! > 0) rows[m++] = i;
      w = counts;
    } else for (let i = 0; i < n; i++) rows[i] = i;
    treeImp.fill(0);
    grower.grow(rows, m, w, yc, yr, builder, treeImp, trng);
    normalize(treeImp);
    for (let f = 0; f < d; f++) importances[f]! += treeImp[f]!;
    if (o.nTrees > 1 || t === o.nTrees - 1) await checkpoint(ctx, { fraction: (t + 1) / o.nTrees, message: o.nTrees > 1 ? `${o.label} ${t + 1}/${o.nTrees}` : o.label });
  }
  normalize(importances);
  return new FittedForest({ kind: "forest", task, nFeatures: d, nClasses, importances, trees: builder.pack(binned) });
}

function loadForest(raw: EstimatorState, task: Task): FittedEstimator {
  // Raw typed arrays (a fitted state) or their tagged base64 form both load.
  const state = decodeState(raw) as EstimatorState;
  const s = state as Partial<ForestState>;
  if (s.kind !== "forest" || s.task !== task || !(s.importances instanceof Float64Array) || !s.trees) throw new Error("invalid forest state");
  const nFeatures = num(state, "nFeatures");
  const nClasses = num(state, "nClasses");
  const trees = unpackTrees(s.trees, nFeatures);
  if (trees.nOut !== nClasses || (task === "regression" && nClasses !== 1) || trees.nTrees < 1 || s.importances.length !== nFeatures) {
    throw new Error("invalid forest state");
  }
  return new FittedForest({ kind: "forest", task, nFeatures, nClasses, importances: s.importances, trees: s.trees }, trees);
}

export const decisionTree: Algorithm = {
  name: "decision_tree",
  tasks: ["classification", "regression"],
  params: decisionTreeParams,
  wantsScaling: false,
  async fit(X, target, params, ctx) {
    const p = validateParams(decisionTreeParams, params, "decision_tree");
    return fitForest(X, target, p, ctx, { nTrees: 1, bootstrap: false, maxFeaturesDefault: "all", label: "tree" });
  },
  load: loadForest,
};

export const randomForest: Algorithm = {
  name: "random_forest",
  tasks: ["classification", "regression"],
  params: randomForestParams,
  wantsScaling: false,
  async fit(X, target, params, ctx) {
    const p = validateParams(randomForestParams, params, "random_forest");
    return fitForest(X, target, p, ctx, {
      nTrees: p.n_estimators as number,
      bootstrap: p.bootstrap as boolean,
      maxFeaturesDefault: target.task === "classification" ? "sqrt" : "all",
      label: "tree",
    });
  },
  load: loadForest,
};
