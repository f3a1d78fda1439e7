// The model document: one versioned, self-describing JSON document per model (layout in
// packages/ml/MODEL_FORMAT.md). In memory the estimator state holds typed arrays; on disk they are
// tagged base64 ({"$f64": "..."}). writeModel streams it, readModel/parseModel validate it.

import type { AlgorithmName, EstimatorState, Task } from "../core/estimator.js";
import type { ParamValues } from "../core/params.js";
import type { Metrics } from "../evaluation/metrics.js";
import type { Label } from "../preprocess/labels.js";
import { COLUMN_TYPES, validatePreprocessorState, type ColumnType, type PreprocessorState } from "../preprocess/preprocessor.js";
import { jsonChunks, JsonSyntaxError, parseJsonBytes } from "./json-stream.js";

export const MODEL_FORMAT = "dml-model";
export const MODEL_VERSION = 1;

export const ALGORITHM_NAMES: readonly AlgorithmName[] = [
  "random_forest",
  "gradient_boosting",
  "decision_tree",
  "logistic_regression",
  "linear_regression",
  "svm",
  "naive_bayes",
  "knn",
];
export const TASKS: readonly Task[] = ["classification", "regression"];

export interface CvMetric {
  mean: number;
  /** Sample standard deviation across folds (0 with one fold). */
  std: number;
  folds: number[];
}

export interface RocPoint {
  fpr: number;
  tpr: number;
  /** The first point's is +Infinity (written "Infinity"). */
  threshold: number;
}

export interface RocCurveDoc {
  /** Class label as text. */
  positiveClass: string;
  auc: number;
  points: RocPoint[];
}

export interface ModelDocument {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  algorithm: AlgorithmName;
  task: Task;
  target: string;
  /** Input columns, in training-dataset order. */
  features: { name: string; type: ColumnType }[];
  preprocessing: PreprocessorState;
  /** Classification only: the original labels, index = class code. */
  classes?: Label[];
  /** Effective parameters (defaults filled in). */
  params: ParamValues;
  /** Test-split metrics. */
  metrics: Metrics;
  cvMetrics?: Record<string, CvMetric>;
  /** Input column -> importance. */
  featureImportance?: Record<string, number>;
  featureImportanceKind?: "impurity" | "permutation";
  /** Classification only; rows = actual, columns = predicted, in class order. */
  confusionMatrix?: { labels: string[]; rows: number[][] };
  rocCurve?: RocCurveDoc[];
  training?: { rows: number; trainRows: number; testRows: number; droppedRows: number; testFraction: number; cvFolds: number; seed: number };
  /** RFC 3339. */
  createdAt: string;
  /** The fitted estimator's state (last: it is the big part). */
  estimator: EstimatorState;
}

export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelFormatError";
  }
}

/** The document as UTF-8 JSON chunks (~64 KiB each), never as one string. */
export async function* writeModel(doc: ModelDocument): AsyncIterable<Uint8Array> {
  // Fixed key order: the self-description first, the estimator last.
  const ordered: Record<string, unknown> = {
    format: doc.format,
    version: doc.version,
    algorithm: doc.algorithm,
    task: doc.task,
    target: doc.target,
    features: doc.features,
    classes: doc.classes,
    params: doc.params,
    preprocessing: doc.preprocessing,
    metrics: doc.metrics,
    cvMetrics: doc.cvMetrics,
    featureImportance: doc.featureImportance,
    featureImportanceKind: doc.featureImportanceKind,
    confusionMatrix: doc.confusionMatrix,
    rocCurve: doc.rocCurve,
    training: doc.training,
    createdAt: doc.createdAt,
    estimator: doc.estimator,
  };
  let k = 0;
  for (const chunk of jsonChunks(ordered, true)) {
    yield chunk;
    // Let other work run between chunks of a big document.
    if (++k % 64 === 0) await new Promise<void>((r) => setImmediate(r));
  }
}

/** Collects the whole document into one Buffer (convenience for small models and tests). */
export async function modelBytes(doc: ModelDocument): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of writeModel(doc)) parts.push(c);
  return Buffer.concat(parts);
}

/** Reads and validates a document from chunks (bytes are collected; no string of the whole document is built). */
export async function readModel(chunks: AsyncIterable<Uint8Array>, maxBytes = 4 * 1024 * 1024 * 1024 - 1): Promise<ModelDocument> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const c of chunks) {
    total += c.byteLength;
    if (total > maxBytes) throw new ModelFormatError(`model document larger than ${maxBytes} bytes`);
    parts.push(c);
  }
  return parseModel(Buffer.concat(parts, total));
}

/** Parses and validates a document. */
export function parseModel(input: string | Uint8Array): ModelDocument {
  let raw: unknown;
  try {
    raw = parseJsonBytes(typeof input === "string" ? Buffer.from(input, "utf8") : input);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new ModelFormatError(`model document is not valid JSON: ${e.message}`);
    if (e instanceof RangeError) throw new ModelFormatError(`model document could not be read: ${e.message}`);
    throw e;
  }
  return validateModelDocument(raw);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v);
const num = (v: unknown): number | undefined => {
  if (typeof v === "number") return v;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (v === "NaN") return NaN;
  return undefined;
};

/** Checks a parsed document (untrusted) and returns it typed; throws ModelFormatError naming the field. */
export function validateModelDocument(raw: unknown): ModelDocument {
  const fail = (m: string): never => {
    throw new ModelFormatError(`invalid model document: ${m}`);
  };
  if (!isObject(raw)) return fail("not a JSON object");
  if (raw.format !== MODEL_FORMAT) fail(`format is ${JSON.stringify(raw.format)}, expected "${MODEL_FORMAT}"`);
  if (raw.version !== MODEL_VERSION) fail(`unsupported version ${JSON.stringify(raw.version)}; this build reads version ${MODEL_VERSION}`);
  if (!ALGORITHM_NAMES.includes(raw.algorithm as AlgorithmName)) fail(`unknown algorithm ${JSON.stringify(raw.algorithm)}`);
  if (!TASKS.includes(raw.task as Task)) fail(`unknown task ${JSON.stringify(raw.task)}`);
  if (typeof raw.target !== "string" || raw.target === "") fail("target must be a non-empty string");
  if (!Array.isArray(raw.features) || raw.features.length === 0) fail("features must be a non-empty array");
  const names = new Set<string>();
  (raw.features as unknown[]).forEach((f, i) => {
    if (!isObject(f) || typeof f.name !== "string") return fail(`features[${i}] must be {name, type}`);
    if (!COLUMN_TYPES.includes(f.type as ColumnType)) fail(`features[${i}].type ${JSON.stringify(f.type)} is unknown`);
    if (names.has(f.name)) fail(`duplicate feature ${f.name}`);
    if (f.name === raw.target) fail(`the target ${f.name} is also a feature`);
    names.add(f.name);
  });
  const features = raw.features as ModelDocument["features"];
  let pre: PreprocessorState;
  try {
    pre = validatePreprocessorState(raw.preprocessing);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (pre.columns.length !== features.length || pre.columns.some((c, i) => c.name !== features[i]!.name || c.type !== features[i]!.type)) {
    fail("preprocessing columns do not match features");
  }
  let k = 0;
  if (raw.task === "classification") {
    if (!Array.isArray(raw.classes) || raw.classes.length === 0) fail("classes must be a non-empty array for classification");
    const classes = raw.classes as unknown[];
    const kind = typeof classes[0];
    if (!["string", "number", "boolean"].includes(kind) || classes.some((c) => typeof c !== kind || (typeof c === "number" && !Number.isFinite(c)))) {
      fail("classes must all be strings, all finite numbers or all booleans");
    }
    if (new Set(classes).size !== classes.length) fail("classes has duplicates");
    k = classes.length;
  } else if (raw.classes !== undefined) {
    fail("classes is only for classification");
  }
  if (!isObject(raw.params) || Object.values(raw.params).some((v) => v !== null && !["string", "number", "boolean"].includes(typeof v))) {
    fail("params must be an object of strings, numbers, booleans or null");
  }
  if (!isObject(raw.metrics) || Object.values(raw.metrics).some((v) => typeof v !== "number")) fail("metrics must be an object of numbers");
  if (raw.cvMetrics !== undefined) {
    if (!isObject(raw.cvMetrics)) fail("cvMetrics must be an object");
    for (const [m, v] of Object.entries(raw.cvMetrics as object)) {
      const c = v as Record<string, unknown>;
      if (!isObject(c) || typeof c.mean !== "number" || typeof c.std !== "number" || !Array.isArray(c.folds) || !c.folds.every((x) => typeof x === "number")) {
        fail(`cvMetrics.${m} must be {mean, std, folds}`);
      }
    }
  }
  if (raw.featureImportance !== undefined) {
    if (!isObject(raw.featureImportance)) fail("featureImportance must be an object");
    for (const [f, v] of Object.entries(raw.featureImportance as object)) {
      if (!names.has(f)) fail(`featureImportance names unknown feature ${f}`);
      if (typeof v !== "number") fail(`featureImportance.${f} must be a number`);
    }
  }
  if (raw.featureImportanceKind !== undefined && raw.featureImportanceKind !== "impurity" && raw.featureImportanceKind !== "permutation") {
    fail("featureImportanceKind must be impurity or permutation");
  }
  if (raw.confusionMatrix !== undefined) {
    const cm = raw.confusionMatrix as Record<string, unknown>;
    if (raw.task !== "classification") fail("confusionMatrix is only for classification");
    if (!isObject(cm) || !Array.isArray(cm.labels) || cm.labels.length !== k || !cm.labels.every((l) => typeof l === "string")) {
      fail(`confusionMatrix.labels must be ${k} strings`);
    }
    if (!Array.isArray(cm.rows) || cm.rows.length !== k || !cm.rows.every((r) => Array.isArray(r) && r.length === k && r.every((x) => Number.isInteger(x) && x >= 0))) {
      fail(`confusionMatrix.rows must be ${k} x ${k} counts`);
    }
  }
  if (raw.rocCurve !== undefined) {
    if (!Array.isArray(raw.rocCurve)) fail("rocCurve must be an array");
    (raw.rocCurve as unknown[]).forEach((c, i) => {
      if (!isObject(c) || typeof c.positiveClass !== "string" || typeof c.auc !== "number" || !Array.isArray(c.points)) {
        return fail(`rocCurve[${i}] must be {positiveClass, auc, points}`);
      }
      c.points.forEach((p, j) => {
        const t = isObject(p) ? num(p.threshold) : undefined;
        if (!isObject(p) || typeof p.fpr !== "number" || typeof p.tpr !== "number" || t === undefined) fail(`rocCurve[${i}].points[${j}] must be {fpr, tpr, threshold}`);
        (p as Record<string, unknown>).threshold = t;
      });
    });
  }
  if (raw.training !== undefined && !isObject(raw.training)) fail("training must be an object");
  if (typeof raw.createdAt !== "string") fail("createdAt must be a string");
  if (!isObject(raw.estimator)) fail("estimator must be an object");
  return raw as unknown as ModelDocument;
}
