export { decisionTree, randomForest, type ForestState } from "./forest.js";
export { gradientBoosting, type BoostingState } from "./gradient-boosting.js";
export type { PackedTrees } from "./hist-tree.js";
