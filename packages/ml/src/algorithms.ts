// The registry of the engine's eight algorithms, keyed by their model-format names.

import type { Algorithm, AlgorithmName, Task } from "./core/estimator.js";
import { naiveBayes } from "./bayes/naive-bayes.js";
import { linearRegression } from "./linear/linear-regression.js";
import { logisticRegression } from "./linear/logistic-regression.js";
import { knn } from "./neighbors/knn.js";
import { svm } from "./svm/svm.js";
import { decisionTree, randomForest } from "./trees/forest.js";
import { gradientBoosting } from "./trees/gradient-boosting.js";

export const ALGORITHMS: Readonly<Record<AlgorithmName, Algorithm>> = Object.freeze({
  random_forest: randomForest,
  gradient_boosting: gradientBoosting,
  decision_tree: decisionTree,
  logistic_regression: logisticRegression,
  linear_regression: linearRegression,
  svm,
  naive_bayes: naiveBayes,
  knn,
});

/** The algorithms that do `task`, in registry order. */
export function algorithmsFor(task: Task): Algorithm[] {
  return Object.values(ALGORITHMS).filter((a) => a.tasks.includes(task));
}
