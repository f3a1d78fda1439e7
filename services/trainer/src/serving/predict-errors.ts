// Turns a row the model refuses into INVALID_ARGUMENT naming the row and column. Keys that are
// not features are ignored (dml.model.v1.PredictRequest), so a misspelt feature shows up as a
// missing one: the message then also names the row's unknown keys, which is usually the typo.
import { PredictInputError } from "@dml/ml";
import { DmlError } from "@dml/runtime";

export function predictInputError(err: PredictInputError, rows: ReadonlyArray<Record<string, unknown>>, features: ReadonlyArray<{ name: string }>): DmlError {
  const details: Record<string, unknown> = { row: err.row };
  if (err.column !== undefined) details["column"] = err.column;
  let message = err.message;
  const row = rows[err.row];
  if (err.column !== undefined && row && typeof row === "object" && !Object.prototype.hasOwnProperty.call(row, err.column)) {
    const known = new Set(features.map((f) => f.name));
    const unknown = Object.keys(row).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      message += `; the row has column(s) the model does not know: ${unknown.slice(0, 5).map((k) => JSON.stringify(k)).join(", ")}`;
      details["unknownColumns"] = unknown.slice(0, 5);
    }
  }
  return new DmlError("INVALID_ARGUMENT", message, details);
}
