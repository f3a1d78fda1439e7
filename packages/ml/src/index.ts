// @dml/ml: the ML engine. Pure TypeScript on typed arrays; no I/O, no transport.
export * from "./core/matrix.js";
export * from "./core/random.js";
export * from "./core/estimator.js";
export * from "./core/params.js";
export * from "./core/state.js";
export * from "./linear/linear-regression.js";
export * from "./linear/logistic-regression.js";
export * from "./bayes/naive-bayes.js";
export * from "./neighbors/knn.js";
export * from "./svm/svm.js";
