// A loaded model: validates predict rows, applies the saved preprocessing and the estimator, and
// returns the original labels (classification) or numbers (regression).

import type { Algorithm, AlgorithmName, FittedEstimator, Task } from "../core/estimator.js";
import { LabelEncoder, labelText, type Label } from "../preprocess/labels.js";
import { Preprocessor, type ColumnType, type FeatureColumn } from "../preprocess/preprocessor.js";
import { ModelFormatError, validateModelDocument, type ModelDocument } from "./document.js";

export type AlgorithmRegistry = Partial<Record<AlgorithmName, Algorithm>>;

export interface PredictResult {
  /** One per row: the original class label, or a number for regression. */
  predictions: (Label | number)[];
  /** Classification with probabilities: one per row, label text -> probability. */
  probabilities?: Record<string, number>[];
}

export interface PredictOptions {
  /**
   * Keys that are not features (e.g. the target): "ignore" (default, as dml.model.v1.PredictRequest
   * documents) or "error".
   */
  unknownColumns?: "ignore" | "error";
}

/** A predict row that does not fit the model's features; names the row (0-based) and column. */
export class PredictInputError extends Error {
  constructor(
    readonly row: number,
    readonly column: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "PredictInputError";
  }
}

export interface Model {
  readonly document: ModelDocument;
  readonly algorithm: AlgorithmName;
  readonly task: Task;
  readonly features: readonly { name: string; type: ColumnType }[];
  readonly classes?: readonly Label[];
  readonly preprocessor: Preprocessor;
  readonly estimator: FittedEstimator;
  predict(rows: readonly Record<string, unknown>[], options?: PredictOptions): PredictResult;
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Row objects -> typed feature columns, validating presence and types. */
export function rowsToColumns(features: readonly { name: string; type: ColumnType }[], rows: readonly Record<string, unknown>[], options: PredictOptions = {}): FeatureColumn[] {
  const n = rows.length;
  const known = new Set(features.map((f) => f.name));
  const cols = features.map((f) => ({
    f,
    values: f.type === "integer" || f.type === "number" ? new Float64Array(n) : new Array<string | boolean | null>(n),
  }));
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!row || typeof row !== "object" || Array.isArray(row)) throw new PredictInputError(i, undefined, `row ${i}: must be an object of column -> value, got ${typeName(row)}`);
    if (options.unknownColumns === "error") {
      for (const k of Object.keys(row)) if (!known.has(k)) throw new PredictInputError(i, k, `row ${i}: unknown column ${JSON.stringify(k)}`);
    }
    for (const { f, values } of cols) {
      if (!Object.prototype.hasOwnProperty.call(row, f.name)) throw new PredictInputError(i, f.name, `row ${i}: missing column ${JSON.stringify(f.name)} (use null for a missing value)`);
      const v = row[f.name];
      const bad = (want: string) => new PredictInputError(i, f.name, `row ${i}, column ${JSON.stringify(f.name)}: expected ${want} or null, got ${typeName(v)} ${JSON.stringify(v)?.slice(0, 40) ?? ""}`.trimEnd());
      switch (f.type) {
        case "integer":
        case "number":
          if (v === null) (values as Float64Array)[i] = NaN;
          else if (typeof v === "number") (values as Float64Array)[i] = v;
          else throw bad("a number");
          break;
        case "boolean":
          if (v === null || typeof v === "boolean") (values as (boolean | null)[])[i] = v;
          else throw bad("true/false");
          break;
        default:
          if (v === null || typeof v === "string") (values as (string | null)[])[i] = v;
          else throw bad("a string");
      }
    }
  }
  return cols.map(({ f, values }) => ({ name: f.name, type: f.type, values: values as FeatureColumn["values"] }));
}

/** Builds a Model from a validated document and the algorithms registry; refuses an unknown algorithm or a bad estimator state. */
export function loadModel(document: ModelDocument, algorithms: AlgorithmRegistry): Model {
  const doc = validateModelDocument(document);
  const alg = algorithms[doc.algorithm];
  if (!alg) throw new ModelFormatError(`algorithm ${doc.algorithm} is not available in this build`);
  if (!alg.tasks.includes(doc.task)) throw new ModelFormatError(`algorithm ${doc.algorithm} does not do ${doc.task}`);
  let estimator: FittedEstimator;
  try {
    estimator = alg.load(doc.estimator, doc.task);
  } catch (e) {
    throw new ModelFormatError(`invalid model document: estimator state for ${doc.algorithm}: ${(e as Error).message}`);
  }
  return modelOf(doc, new Preprocessor(doc.preprocessing), estimator);
}

/** A Model over parts already in memory (trainModel's result). */
export function modelOf(doc: ModelDocument, preprocessor: Preprocessor, estimator: FittedEstimator): Model {
  const labels = doc.classes ? new LabelEncoder(doc.classes) : undefined;
  const keys = doc.classes?.map(labelText);
  return {
    document: doc,
    algorithm: doc.algorithm,
    task: doc.task,
    features: doc.features,
    classes: doc.classes,
    preprocessor,
    estimator,
    predict(rows, options) {
      const X = preprocessor.transform(rowsToColumns(doc.features, rows, options));
      const raw = estimator.predict(X);
      if (!labels) return { predictions: Array.from(raw) };
      const k = labels.classes.length;
      const out: PredictResult = { predictions: labels.decode(raw) };
      if (estimator.predictProba) {
        const p = estimator.predictProba(X);
        out.probabilities = [];
        for (let i = 0; i < X.rows; i++) {
          const r: Record<string, number> = {};
          for (let c = 0; c < k; c++) Object.defineProperty(r, keys![c]!, { value: p[i * k + c]!, enumerable: true, writable: true, configurable: true });
          out.probabilities.push(r);
        }
      }
      return out;
    },
  };
}
