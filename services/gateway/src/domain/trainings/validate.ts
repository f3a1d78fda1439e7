// Checks a create-training request before anything is written, so a bad request never becomes a
// training that fails later on a trainer. Every error is INVALID_ARGUMENT naming the field.
import { DmlError } from "@dml/runtime";
import type { DatasetManifest, TaskType } from "@dml/catalog";
import { ALGORITHMS, ParamError, testSize, validateParams, type Algorithm } from "@dml/ml";
import { checkId } from "../datasets/ids.js";

export const MAX_MODELS = 32;
export const MAX_CV_FOLDS = 20;
export const MIN_ROWS = 10;
export const DEFAULTS = { testFraction: 0.2, cvFolds: 0, seed: 42 } as const;

/** A create request with its shape checked and defaults applied. */
export interface CreateTrainingRequest {
  datasetId: string;
  target: string;
  task: TaskType;
  models: Array<{ algorithm: string; params: Record<string, unknown> }>;
  testFraction: number;
  cvFolds: number;
  seed: number;
}

const TOP_FIELDS = new Set(["datasetId", "target", "task", "models", "testFraction", "cvFolds", "seed"]);
const MODEL_FIELDS = new Set(["algorithm", "params"]);

function invalid(field: string, message: string, details: Record<string, unknown> = {}): DmlError {
  return new DmlError("INVALID_ARGUMENT", message, { field, ...details });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** null counts as absent: JSON clients often send explicit nulls for optional fields. */
const absent = (v: unknown) => v === undefined || v === null;

function rejectUnknown(obj: Record<string, unknown>, known: Set<string>, where: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) {
      const field = where ? `${where}.${key}` : key;
      throw invalid(field, `unknown field ${field}; expected ${[...known].join(", ")}`);
    }
  }
}

function checkModel(raw: unknown, index: number, task: TaskType): { algorithm: string; params: Record<string, unknown> } {
  const where = `models[${index}]`;
  if (!isObject(raw)) throw invalid(where, `${where} must be an object {"algorithm", "params"?}`);
  rejectUnknown(raw, MODEL_FIELDS, where);
  const name = raw["algorithm"];
  const known = Object.keys(ALGORITHMS);
  if (typeof name !== "string" || !(name in ALGORITHMS)) {
    throw invalid(`${where}.algorithm`, `${where}.algorithm must be one of ${known.join(", ")}; got ${JSON.stringify(name ?? null)}`, {
      modelIndex: index,
    });
  }
  const algorithm: Algorithm = ALGORITHMS[name as keyof typeof ALGORITHMS];
  if (!algorithm.tasks.includes(task)) {
    const fitting = known.filter((n) => ALGORITHMS[n as keyof typeof ALGORITHMS].tasks.includes(task));
    throw invalid(`${where}.algorithm`, `${where}.algorithm ${name} does not do ${task}; use one of ${fitting.join(", ")}`, { modelIndex: index });
  }
  const params = absent(raw["params"]) ? {} : raw["params"];
  if (!isObject(params)) throw invalid(`${where}.params`, `${where}.params must be an object of scikit-learn parameters`, { modelIndex: index });
  try {
    validateParams(algorithm.params, params, name);
  } catch (err) {
    if (!(err instanceof ParamError)) throw err;
    throw invalid(`${where}.params.${err.param}`, `${where}.params: ${err.message}`, { modelIndex: index, param: err.param });
  }
  // Stored as requested: the trainer fills the defaults, and the registry records the effective ones.
  return { algorithm: name, params };
}

/** Shape and ranges of a request (from REST JSON or the gRPC message), without the dataset. */
export function checkCreateRequest(body: unknown): CreateTrainingRequest {
  if (!isObject(body)) throw invalid("body", 'the request must be a JSON object {"datasetId","target","task","models",...}');
  rejectUnknown(body, TOP_FIELDS, "");
  const { datasetId, target, task, models } = body;
  if (typeof datasetId !== "string" || datasetId === "") throw invalid("datasetId", "datasetId is required");
  checkId(datasetId, "datasetId");
  if (typeof target !== "string" || target === "") throw invalid("target", "target (the column to predict) is required");
  if (task !== "classification" && task !== "regression") {
    throw invalid("task", `task must be "classification" or "regression"; got ${JSON.stringify(task ?? null)}`);
  }
  if (!Array.isArray(models) || models.length === 0) throw invalid("models", 'models must be a non-empty array of {"algorithm", "params"?}');
  if (models.length > MAX_MODELS) throw invalid("models", `at most ${MAX_MODELS} models per training; got ${models.length}`);

  const testFraction = absent(body["testFraction"]) ? DEFAULTS.testFraction : body["testFraction"];
  if (typeof testFraction !== "number" || !(testFraction > 0 && testFraction < 1)) {
    throw invalid("testFraction", `testFraction must be a number in (0, 1); got ${JSON.stringify(testFraction)}`);
  }
  const cvFolds = absent(body["cvFolds"]) ? DEFAULTS.cvFolds : body["cvFolds"];
  if (typeof cvFolds !== "number" || !Number.isInteger(cvFolds) || cvFolds < 0 || cvFolds > MAX_CV_FOLDS) {
    throw invalid("cvFolds", `cvFolds must be an integer from 0 to ${MAX_CV_FOLDS} (0 or 1: no cross-validation); got ${JSON.stringify(cvFolds)}`);
  }
  const seed = absent(body["seed"]) ? DEFAULTS.seed : body["seed"];
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw invalid("seed", `seed must be an integer from 0 to 4294967295; got ${JSON.stringify(seed)}`);
  }
  return {
    datasetId,
    target,
    task,
    models: models.map((m, i) => checkModel(m, i, task)),
    testFraction,
    cvFolds,
    seed,
  };
}

/** What the dataset must offer for the request: the target column, its type, enough rows and classes. */
export function checkAgainstDataset(req: CreateTrainingRequest, dataset: DatasetManifest): void {
  const column = dataset.columns.find((c) => c.name === req.target);
  if (!column) {
    throw invalid("target", `target ${JSON.stringify(req.target)} is not a column of dataset ${dataset.id}; columns: ${dataset.columns.map((c) => c.name).join(", ")}`);
  }
  if (dataset.columns.length < 2) throw invalid("target", `dataset ${dataset.id} has no feature column besides the target`);
  if (req.task === "regression" && column.type !== "integer" && column.type !== "number") {
    throw invalid("target", `regression needs a numeric target; column ${req.target} is ${column.type} (use task "classification")`, {
      columnType: column.type,
    });
  }
  if (column.stats.distinct === 0) throw invalid("target", `target column ${req.target} has no values`);
  if (req.task === "classification" && column.stats.distinct === 1) {
    throw invalid("target", `target column ${req.target} has a single class; classification needs at least two`);
  }
  if (dataset.rows < MIN_ROWS) {
    throw invalid("datasetId", `dataset ${dataset.id} has ${dataset.rows} rows; training needs at least ${MIN_ROWS}`, { rows: dataset.rows });
  }
  if (req.cvFolds > 1) {
    const trainRows = dataset.rows - testSize(dataset.rows, req.testFraction);
    if (trainRows < req.cvFolds) {
      throw invalid("cvFolds", `cvFolds ${req.cvFolds} needs at least ${req.cvFolds} training rows; the split leaves ${trainRows}`, {
        trainRows,
      });
    }
  }
}
