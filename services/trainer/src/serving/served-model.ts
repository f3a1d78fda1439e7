// A loaded model as the trainer serves it. Model.predict computes class predictions and class
// probabilities separately; for the tree ensembles the prediction IS the argmax of the
// probabilities (forest.ts, gradient-boosting.ts: predict = argmaxRows(predictProba)), so one pass
// over the trees gives both, which halves the cost of a prediction. Every other model goes
// through Model.predict unchanged.
import { labelText, rowsToColumns, type Model, type PredictResult } from "@dml/ml";

const PROBA_ARGMAX_ALGORITHMS: ReadonlySet<string> = new Set(["random_forest", "decision_tree", "gradient_boosting"]);

export interface ServedModel {
  model: Model;
  predict(rows: readonly Record<string, unknown>[]): PredictResult;
}

export function serve(model: Model): ServedModel {
  const { classes, estimator } = model;
  if (model.task !== "classification" || !classes || !estimator.predictProba || !PROBA_ARGMAX_ALGORITHMS.has(model.algorithm)) {
    return { model, predict: (rows) => model.predict(rows) };
  }
  const keys = classes.map(labelText);
  const k = classes.length;
  return {
    model,
    predict(rows) {
      const X = model.preprocessor.transform(rowsToColumns(model.features, rows));
      const p = estimator.predictProba!(X);
      const predictions: PredictResult["predictions"] = new Array(X.rows);
      const probabilities: Record<string, number>[] = new Array(X.rows);
      for (let i = 0; i < X.rows; i++) {
        // The first largest wins, as in argmaxRows.
        let best = 0;
        let bv = p[i * k]!;
        const r: Record<string, number> = {};
        for (let c = 0; c < k; c++) {
          const v = p[i * k + c]!;
          if (v > bv) {
            bv = v;
            best = c;
          }
          // defineProperty: a class named "__proto__" stays a plain key, as in Model.predict.
          Object.defineProperty(r, keys[c]!, { value: v, enumerable: true, writable: true, configurable: true });
        }
        predictions[i] = classes[best]!;
        probabilities[i] = r;
      }
      return { predictions, probabilities };
    },
  };
}
