// What the gateway's model edges (REST and gRPC) need from online prediction: predict rows with a
// model (routed to the trainer that keeps it hot), and drop a deleted model from every trainer's
// cache. Implemented by the routing in this folder.

/** One answer per input row, in order. */
export interface OnlinePrediction {
  /** Class labels (with the target's type) or numbers. */
  predictions: Array<string | number | boolean | null>;
  /** Classifiers: class label (as text) -> probability, per row. */
  probabilities?: Array<Record<string, number>>;
}

export interface Predictor {
  /** INVALID_ARGUMENT naming the row and column for bad rows; NOT_FOUND for an unknown model. */
  predict(modelId: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<OnlinePrediction>;
  /** Best effort: asks every live trainer to drop the model from its cache. */
  evictEverywhere(modelId: string): Promise<void>;
}
