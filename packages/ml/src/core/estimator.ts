// The contract between the engine's parts: an Algorithm fits a FittedEstimator on a numeric
// feature Matrix (after preprocessing) and a Target, and can load one back from its state.

import type { Matrix } from "./matrix.js";
import type { ParamSpecs, ParamValues } from "./params.js";

export type Task = "classification" | "regression";

export type AlgorithmName =
  | "random_forest"
  | "gradient_boosting"
  | "decision_tree"
  | "logistic_regression"
  | "linear_regression"
  | "svm"
  | "naive_bayes"
  | "knn";

/** Classification labels are encoded 0..nClasses-1 by preprocessing (original labels live in the model). */
export type Target = { task: "classification"; y: Int32Array; nClasses: number } | { task: "regression"; y: Float64Array };

export interface Progress {
  /** 0..1 */
  fraction: number;
  /** Short, human-readable: "tree 40/100", "iteration 12". */
  message: string;
}

export class FitCancelledError extends Error {
  constructor() {
    super("fit cancelled");
    this.name = "FitCancelledError";
  }
}

export interface FitContext {
  /** Seed for everything random in this fit. */
  seed: number;
  onProgress?: (p: Progress) => void;
  /** Checked between units of work (a tree, an iteration); an aborted signal ends the fit with FitCancelledError. */
  signal?: AbortSignal;
}

/** JSON-safe fitted state; typed arrays inside are encoded by the model format (see state.ts). */
export type EstimatorState = Record<string, unknown>;

export interface FittedEstimator {
  /** Regression: one prediction per row. Classification: the class index per row. */
  predict(X: Matrix): Float64Array | Int32Array;
  /** Classification only: rows x nClasses probabilities, row-major. */
  predictProba?(X: Matrix): Float64Array;
  /** Impurity-based importances for tree models (sum to 1); absent for others. */
  featureImportances?(): Float64Array;
  /**
   * The fitted state to save, with raw typed arrays (the model writer encodes them, once);
   * load(state) must predict identically.
   */
  state(): EstimatorState;
}

export interface Algorithm {
  name: AlgorithmName;
  tasks: readonly Task[];
  /** Parameters with scikit-learn's names, defaults close to scikit-learn's. */
  params: ParamSpecs;
  /** Features are standardised before fitting (linear models, SVM, KNN). */
  wantsScaling: boolean;
  fit(X: Matrix, target: Target, params: ParamValues, ctx: FitContext): Promise<FittedEstimator>;
  /** Accepts typed arrays raw (state(), readModel) or in the tagged base64 form (core/state.ts decodeState handles both). */
  load(state: EstimatorState, task: Task): FittedEstimator;
}

/** Lets the event loop run (progress delivery, cancel) and checks the signal; call between units of work. */
export async function checkpoint(ctx: FitContext, progress?: Progress): Promise<void> {
  if (progress) ctx.onProgress?.(progress);
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (ctx.signal?.aborted) throw new FitCancelledError();
}
