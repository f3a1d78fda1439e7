// Checks a batch prediction request before anything is written, so a dataset that cannot feed
// the model is refused up front instead of failing later on a trainer. Every error is
// INVALID_ARGUMENT naming the field or column.
import { DmlError } from "@dml/runtime";
import type { ColumnManifest, DatasetManifest, ModelRecord } from "@dml/catalog";
import { checkId } from "../datasets/ids.js";

export interface CreatePredictionRequest {
  modelId: string;
  datasetId: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

const FIELDS = ["modelId", "datasetId"] as const;

function invalid(field: string, message: string, details: Record<string, unknown> = {}): DmlError {
  return new DmlError("INVALID_ARGUMENT", message, { field, ...details });
}

export function checkCreateRequest(body: unknown): CreatePredictionRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid("body", 'the body must be a JSON object {"modelId", "datasetId"}');
  const obj = body as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw invalid(key, `unknown field ${key}; expected ${FIELDS.join(", ")}`);
  }
  for (const field of FIELDS) {
    const v = obj[field];
    if (typeof v !== "string" || v === "") throw invalid(field, `${field} is required (a string)`);
    checkId(v, field);
  }
  return { modelId: obj["modelId"] as string, datasetId: obj["datasetId"] as string };
}

type ColumnType = ColumnManifest["type"];
const NUMERIC: ReadonlySet<string> = new Set(["integer", "number"]);
const TEXT: ReadonlySet<string> = new Set(["category", "string"]);

/**
 * Whether a dataset column can feed a feature, as the trainer reads it: numbers (integer, number,
 * boolean as 0/1) for numeric features, booleans or numbers for boolean features, and text (numbers
 * read as text too) for categorical ones.
 */
export function compatible(featureType: string, columnType: ColumnType): boolean {
  if (NUMERIC.has(featureType) || featureType === "boolean") return NUMERIC.has(columnType) || columnType === "boolean";
  if (TEXT.has(featureType)) return TEXT.has(columnType) || NUMERIC.has(columnType);
  return false;
}

/** The dataset holds every feature column of the model with a compatible type. */
export function checkAgainstModel(model: Pick<ModelRecord, "id" | "features">, dataset: Pick<DatasetManifest, "id" | "columns">): void {
  const columns = new Map(dataset.columns.map((c) => [c.name, c]));
  for (const feature of model.features) {
    const column = columns.get(feature.name);
    if (!column) {
      throw invalid("datasetId", `dataset ${dataset.id} has no column "${feature.name}", a feature of model ${model.id}`, { column: feature.name });
    }
    if (!compatible(feature.type, column.type)) {
      throw invalid("datasetId", `column "${feature.name}" of dataset ${dataset.id} is ${column.type}, but model ${model.id} reads it as ${feature.type}`, {
        column: feature.name,
        columnType: column.type,
        featureType: feature.type,
      });
    }
  }
}

/** A results page's bounds: offset ≥ 0, limit 1..10000. */
export function checkPage(offset: number, limit: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalid("offset", `offset must be an integer ≥ 0; got ${offset}`);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid("limit", `limit must be an integer between 1 and ${MAX_LIMIT}; got ${limit}`);
}
