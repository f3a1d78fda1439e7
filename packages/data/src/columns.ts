// A dataset's Arrow batches as whole columns, the shape the ML engine takes: numbers in a
// Float64Array (NaN = missing, int64 as doubles), booleans and text as arrays with nulls.
import { boolValue, int64Number, int64Words, isValid, readStream, utf8Values } from "./arrow.js";
import { DataError } from "./errors.js";

export type ColumnValues = Float64Array | (boolean | null)[] | (string | null)[];

export interface DecodedColumn {
  name: string;
  values: ColumnValues;
}

/** Concatenates the columns of IPC streams (each one or more record batches) of one schema. */
export function batchesToColumns(ipcs: readonly Uint8Array[]): DecodedColumn[] {
  const decoded = ipcs.map(readStream);
  const first = decoded[0];
  if (!first) return [];
  const total = decoded.reduce((n, d) => n + d.batches.reduce((m, b) => m + b.numRows, 0), 0);
  return first.names.map((name, j) => {
    const type = first.types[j];
    if (type === undefined) throw new DataError(`column ${name} has an Arrow type this library does not read`);
    let values: ColumnValues;
    if (type === "float64" || type === "int64") values = new Float64Array(total);
    else values = new Array(total);
    let at = 0;
    for (const d of decoded) {
      if (d.names[j] !== name || d.types[j] !== type) throw new DataError(`batches disagree on column ${j} (${name})`);
      for (const batch of d.batches) {
        const data = batch.data.children[j]!;
        const n = batch.numRows;
        if (type === "float64") {
          const src = data.values as Float64Array;
          const out = values as Float64Array;
          for (let i = 0; i < n; i++) out[at + i] = isValid(data, i) ? src[data.offset + i]! : NaN;
        } else if (type === "int64") {
          const words = int64Words(data);
          const out = values as Float64Array;
          for (let i = 0; i < n; i++) out[at + i] = isValid(data, i) ? int64Number(words, i) : NaN;
        } else if (type === "bool") {
          const out = values as (boolean | null)[];
          for (let i = 0; i < n; i++) out[at + i] = isValid(data, i) ? boolValue(data, i) : null;
        } else {
          const texts = utf8Values(data);
          const out = values as (string | null)[];
          for (let i = 0; i < n; i++) out[at + i] = texts[i]!;
        }
        at += n;
      }
    }
    return { name, values };
  });
}
