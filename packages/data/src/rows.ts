// A batch's rows as JSON-ready objects, for the REST `rows` endpoint and online tools.
import type { Data } from "apache-arrow";
import { boolValue, int64Number, int64Words, isValid, physicalOf, readStream, utf8Values } from "./arrow.js";

export type CellValue = number | boolean | string | null;
export type Row = Record<string, CellValue>;

export interface RowRange {
  /** Rows of the batch to skip (default 0). */
  offset?: number;
  /** Rows to return at most (default: all). */
  limit?: number;
}

/**
 * Rows [offset, offset + limit) of an IPC stream. Int64 becomes a JS number (exact within ±2^53),
 * missing values null. Rows are null-prototype objects, so a column named "__proto__" is just a key.
 */
export function batchToRows(ipc: Uint8Array, range: RowRange = {}): Row[] {
  const { names, batches } = readStream(ipc);
  let skip = Math.max(0, Math.floor(range.offset ?? 0));
  let left = range.limit === undefined ? Infinity : Math.max(0, Math.floor(range.limit));
  const rows: Row[] = [];
  for (const batch of batches) {
    if (left === 0) break;
    const n = batch.numRows;
    if (skip >= n) {
      skip -= n;
      continue;
    }
    const from = skip;
    const to = Math.min(n, from + left);
    skip = 0;
    const readers = batch.data.children.map((data, j) => reader(data, from, to, batch.getChildAt(j)));
    for (let i = from; i < to; i++) {
      const row = Object.create(null) as Row;
      for (let j = 0; j < names.length; j++) row[names[j]!] = readers[j]!(i);
      rows.push(row);
    }
    left -= to - from;
  }
  return rows;
}

function reader(data: Data, from: number, to: number, vector: { get(i: number): unknown } | null): (i: number) => CellValue {
  switch (physicalOf(data.type)) {
    case "int64": {
      const words = int64Words(data);
      return (i) => (isValid(data, i) ? int64Number(words, i) : null);
    }
    case "float64": {
      const values = data.values as Float64Array;
      return (i) => (isValid(data, i) ? values[data.offset + i]! : null);
    }
    case "bool":
      return (i) => (isValid(data, i) ? boolValue(data, i) : null);
    case "utf8": {
      const texts = utf8Values(data, from, to);
      return (i) => texts[i - from]!;
    }
  }
  // A type this library does not write (a stream from elsewhere): go through Arrow's accessor.
  return (i) => {
    const v = vector?.get(i);
    if (v === null || v === undefined) return null;
    if (typeof v === "bigint") return Number(v);
    if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
    return String(v);
  };
}
