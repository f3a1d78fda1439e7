// One batch's column of raw cells -> typed values (the step between the CSV text and Arrow).
// Inference and conversion happen in the same pass over the cells, so each cell is scanned once
// (twice only for the cells before the point where a column turns out to be text). Cells are
// spans of the decoded input, so only text columns ever become strings.
import {
  BIG_INTEGER,
  DECIMAL,
  isMissing,
  parsed,
  SAFE_INTEGER,
  scanBoolean,
  scanBooleanLoose,
  scanNumber,
} from "./cells.js";
import { CsvError, describePlace } from "./errors.js";
import { ALL_MISSING_TYPE, type ColumnType, physicalType, type PhysicalType, promote } from "./schema.js";
import type { ColumnStatsBuilder } from "./stats.js";

/**
 * A batch's raw cells, column-major: cell (row r of column j) is
 * `backing[refs[k]].slice(starts[k], ends[k])` with k = j * stride + r.
 */
export interface Cells {
  backing: readonly string[];
  refs: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  stride: number;
}

/** A column's values in the shape the Arrow encoder wants. */
export interface TypedColumn {
  physical: PhysicalType;
  length: number;
  nullCount: number;
  /** 1 where the row has a value. */
  valid: Uint8Array;
  /** int64 (exact within ±2^53), float64, and bool (1/0) values; 0 in null rows. */
  numbers?: Float64Array;
  /** int64 values beyond ±2^53, by row. */
  bigs?: Map<number, bigint>;
  /** utf8 values; null in null rows. */
  texts?: (string | null)[];
}

const NONE = 0;
const INT = 1;
const NUM = 2;
const BOOL = 3;
const TEXT = 4;
const KIND_TYPE: (ColumnType | undefined)[] = [undefined, "integer", "number", "boolean", "string"];

export interface InferredColumn {
  column: TypedColumn;
  /** What this batch's own cells say (undefined: all missing). */
  inferred: ColumnType | undefined;
  /** The type the batch is stored as: `inferred` promoted with `floor`. */
  type: ColumnType;
}

/**
 * Infers a batch column's type and converts it. `floor` is the type earlier batches promoted the
 * column to: promotion only goes up, so this batch is stored directly as at least that type and
 * only batches before a promotion ever need conformBatch.
 */
export function inferColumn(cells: Cells, column: number, rows: number, floor: ColumnType | undefined): InferredColumn {
  const valid = new Uint8Array(rows);
  let kind = floor === "string" || floor === "category" ? TEXT : NONE;
  let numbers: Float64Array | undefined;
  let bigs: Map<number, bigint> | undefined;
  if (kind !== TEXT) {
    numbers = new Float64Array(rows);
    const { backing, refs, starts, ends } = cells;
    const base = column * cells.stride;
    for (let r = 0; r < rows; r++) {
      const k = base + r;
      const s = backing[refs[k]!]!;
      const a = starts[k]!;
      const e = ends[k]!;
      if (isMissing(s, a, e)) continue;
      if (kind === BOOL) {
        const b = scanBoolean(s, a, e);
        if (b < 0) {
          kind = TEXT;
          break;
        }
        numbers[r] = b;
      } else {
        const t = scanNumber(s, a, e);
        if (t === SAFE_INTEGER) {
          numbers[r] = parsed.value;
          if (kind === NONE) kind = INT;
        } else if (t === DECIMAL) {
          numbers[r] = parsed.value;
          kind = NUM;
        } else if (t === BIG_INTEGER) {
          numbers[r] = parsed.value;
          (bigs ??= new Map()).set(r, parsed.big);
          if (kind === NONE) kind = INT;
        } else {
          const b = kind === NONE ? scanBoolean(s, a, e) : -1;
          if (b < 0) {
            kind = TEXT;
            break;
          }
          numbers[r] = b;
          kind = BOOL;
        }
      }
      valid[r] = 1;
    }
  }
  if (kind === TEXT) {
    const text = textColumn(cells, column, rows);
    return { column: text, inferred: text.nullCount < rows ? "string" : undefined, type: "string" };
  }
  const inferred = KIND_TYPE[kind];
  const type = promote(floor, inferred) ?? ALL_MISSING_TYPE;
  const physical = physicalType(type);
  if (physical === "utf8") return { column: textColumn(cells, column, rows), inferred, type };
  const typed: TypedColumn = { physical, length: rows, nullCount: countNulls(valid), valid, numbers: numbers! };
  if (physical === "int64" && bigs !== undefined) typed.bigs = bigs;
  return { column: typed, inferred, type };
}

/**
 * Converts a column whose type the user set. Every non-missing cell must be a value of that type;
 * the first that is not fails the upload, naming its line and column.
 */
export function forcedColumn(
  cells: Cells,
  column: number,
  rows: number,
  type: ColumnType,
  place: { lines: Float64Array; name: string },
): TypedColumn {
  const physical = physicalType(type);
  if (physical === "utf8") return textColumn(cells, column, rows);
  const valid = new Uint8Array(rows);
  const numbers = new Float64Array(rows);
  let bigs: Map<number, bigint> | undefined;
  const base = column * cells.stride;
  for (let r = 0; r < rows; r++) {
    const s = cells.backing[cells.refs[base + r]!]!;
    const a = cells.starts[base + r]!;
    const e = cells.ends[base + r]!;
    if (isMissing(s, a, e)) continue;
    let ok: boolean;
    if (physical === "bool") {
      const b = scanBooleanLoose(s, a, e);
      ok = b >= 0;
      numbers[r] = b;
    } else {
      const k = scanNumber(s, a, e);
      numbers[r] = parsed.value;
      if (physical === "float64") ok = k !== 0;
      else if (k === BIG_INTEGER) {
        ok = true;
        (bigs ??= new Map()).set(r, parsed.big);
      } else {
        // "3.0" or "1e3" are whole numbers too; "3.5" is not an integer.
        ok = k === SAFE_INTEGER || (k === DECIMAL && Number.isSafeInteger(parsed.value));
      }
    }
    if (!ok) {
      const line = place.lines[r]!;
      const what = physical === "bool" ? "a boolean (true/false, yes/no, y/n, t/f, 1/0)" : physical === "int64" ? "an integer" : "a number";
      throw new CsvError(`${describePlace(line, column + 1, place.name)}: ${quoteValue(s.slice(a, e))} is not ${what}, and the column's type was set to ${type}`, {
        line,
        column: column + 1,
        columnName: place.name,
      });
    }
    valid[r] = 1;
  }
  const typed: TypedColumn = { physical, length: rows, nullCount: countNulls(valid), valid, numbers };
  if (bigs !== undefined) typed.bigs = bigs;
  return typed;
}

function textColumn(cells: Cells, column: number, rows: number): TypedColumn {
  const valid = new Uint8Array(rows);
  const texts: (string | null)[] = new Array<string | null>(rows);
  const base = column * cells.stride;
  let nulls = 0;
  for (let r = 0; r < rows; r++) {
    const s = cells.backing[cells.refs[base + r]!]!;
    const a = cells.starts[base + r]!;
    const e = cells.ends[base + r]!;
    if (isMissing(s, a, e)) {
      texts[r] = null;
      nulls++;
    } else {
      texts[r] = s.slice(a, e);
      valid[r] = 1;
    }
  }
  return { physical: "utf8", length: rows, nullCount: nulls, valid, texts };
}

function countNulls(valid: Uint8Array): number {
  let n = 0;
  for (let r = 0; r < valid.length; r++) n += valid[r]!;
  return valid.length - n;
}

function quoteValue(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/** Adds a converted column's values to the column's statistics. */
export function addToStats(column: TypedColumn, stats: ColumnStatsBuilder): void {
  stats.addMissing(column.nullCount);
  const { valid, length } = column;
  switch (column.physical) {
    case "int64":
    case "float64": {
      const numbers = column.numbers!;
      for (let r = 0; r < length; r++) if (valid[r] === 1) stats.addNumber(numbers[r]!);
      break;
    }
    case "bool": {
      const numbers = column.numbers!;
      for (let r = 0; r < length; r++) if (valid[r] === 1) stats.addBoolean(numbers[r] === 1);
      break;
    }
    case "utf8": {
      const texts = column.texts!;
      for (let r = 0; r < length; r++) {
        const s = texts[r];
        if (s !== null && s !== undefined) stats.addText(s);
      }
      break;
    }
  }
}
