// Rewrites a stored batch to the dataset's final schema, from its Arrow data alone (the CSV is
// long gone): a batch emitted before a later batch promoted a column is re-encoded so that every
// batch of a dataset carries exactly the dataset's schema.
//
// Casts: int64 -> float64 (exact within ±2^53); int64 / float64 / bool -> utf8 as text
// (integers in full, numbers in their shortest form, true/false); an all-null column -> any type.
// The one lossy case: a value that was typed in this batch and becomes text loses its original
// spelling, since only the value was kept: "1.50" becomes "1.5", "007" becomes "7", "1e3" becomes
// "1000", "TRUE" becomes "true". Batches after the promotion keep their cells' text as written.
import type { Data } from "apache-arrow";
import {
  arrowSchema,
  columnData,
  int64Number,
  int64Text,
  int64Words,
  isValid,
  readStream,
  boolValue,
  writeStream,
} from "./arrow.js";
import { DataError } from "./errors.js";
import { booleanText, numberText } from "./format.js";
import { type DatasetSchema, physicalType, type PhysicalType } from "./schema.js";
import type { TypedColumn } from "./typed-column.js";

export function conformBatch(ipc: Uint8Array, schema: DatasetSchema): Uint8Array {
  const decoded = readStream(ipc);
  const names = schema.map((c) => c.name);
  if (decoded.names.length !== names.length || decoded.names.some((n, j) => n !== names[j])) {
    throw new DataError(`the batch's columns (${decoded.names.join(", ")}) are not the dataset's (${names.join(", ")})`);
  }
  const targets = schema.map((c) => physicalType(c.type));
  const batches = decoded.batches.map((batch) => ({
    rows: batch.numRows,
    children: batch.data.children.map((data, j) => cast(data, decoded.types[j], targets[j]!, names[j]!)),
  }));
  return writeStream(arrowSchema(schema), batches);
}

function cast(data: Data, from: PhysicalType | undefined, to: PhysicalType, name: string): Data {
  if (from === to) return data;
  const length = data.length;
  const valid = new Uint8Array(length);
  for (let i = 0; i < length; i++) valid[i] = isValid(data, i) ? 1 : 0;
  const col: TypedColumn = { physical: to, length, nullCount: data.nullCount, valid };
  if (data.nullCount === length) {
    if (to === "utf8") col.texts = new Array<string | null>(length).fill(null);
    else col.numbers = new Float64Array(length);
    return columnData(col);
  }
  if (from === "int64" && to === "float64") {
    const words = int64Words(data);
    const numbers = new Float64Array(length);
    for (let i = 0; i < length; i++) if (valid[i] === 1) numbers[i] = int64Number(words, i);
    col.numbers = numbers;
    return columnData(col);
  }
  if (to === "utf8" && from !== undefined) {
    col.texts = textsOf(data, from, valid);
    return columnData(col);
  }
  throw new DataError(`column ${JSON.stringify(name)}: cannot convert ${from ?? "this Arrow type"} to ${to}`);
}

function textsOf(data: Data, from: PhysicalType, valid: Uint8Array): (string | null)[] {
  const out = new Array<string | null>(data.length).fill(null);
  if (from === "int64") {
    const words = int64Words(data);
    for (let i = 0; i < data.length; i++) if (valid[i] === 1) out[i] = int64Text(words, i);
  } else if (from === "float64") {
    const values = data.values as Float64Array;
    for (let i = 0; i < data.length; i++) if (valid[i] === 1) out[i] = numberText(values[data.offset + i]!);
  } else if (from === "bool") {
    for (let i = 0; i < data.length; i++) if (valid[i] === 1) out[i] = booleanText(boolValue(data, i));
  }
  return out;
}
