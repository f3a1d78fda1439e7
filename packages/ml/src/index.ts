// @dml/ml: the ML engine. Pure TypeScript on typed arrays; no I/O, no transport.
export * from "./core/matrix.js";
export * from "./core/random.js";
export * from "./core/estimator.js";
export * from "./core/params.js";
export * from "./core/state.js";
