export * from "./datasets.js";
export * from "./trainings.js";
export * from "./training-repository.js";
export * from "./training-enums.js";
export * from "./batch-fetcher.js";
export * from "./model-proto.js";
export * from "./predictions.js";
export * from "./prediction-repository.js";
