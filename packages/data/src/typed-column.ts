// One batch's column of classified cells -> typed values (the step between the CSV text and Arrow).
//
// Cells are classified as they arrive (BatchBuilder.span: missing, integer, number, true, false or
// text, with the parsed value), while their chunk of the upload is still in the CPU cache; typing
// a column at the end of the batch is then a pass over one byte per cell. Reading the text again
// column by column would touch the whole batch once per column, from memory, not cache. Only text
// columns ever turn cells into strings.
import {
  CELL_BIG_INTEGER,
  CELL_DECIMAL,
  CELL_FALSE,
  CELL_INTEGER,
  CELL_MISSING,
  CELL_TEXT,
  CELL_TRUE,
  CellReader,
  scanBooleanLoose,
} from "./cells.js";
import { CsvError, describePlace } from "./errors.js";
import { ALL_MISSING_TYPE, type ColumnType, physicalType, type PhysicalType, promote } from "./schema.js";
import type { ColumnStatsBuilder } from "./stats.js";

/**
 * A batch's raw cells, column-major: cell (row r of column j) is
 * `backing[refs[k]].slice(starts[k], ends[k])` with k = j * stride + r; `bytes[refs[k]]` is the
 * same backing string as bytes when it is ASCII. `kinds[k]` is the cell's class (CELL_* from
 * cells.ts) and `values[k]` its number (1/0 for true/false, 0 when missing or text), with Int64
 * values beyond 2^53 in `bigs`. A column whose `classified` flag is 0 was not classified (it was
 * already known to be text): only its spans are meaningful.
 */
export interface Cells {
  backing: readonly string[];
  bytes: readonly (Uint8Array | undefined)[];
  refs: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  stride: number;
  kinds: Uint8Array;
  values: Float64Array;
  bigs: Map<number, bigint>;
  classified: Uint8Array;
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

// The column kind after seeing one more cell class: KIND_STEP[kind * 7 + cell].
const KIND_STEP = new Uint8Array(5 * 7);
for (let kind = 0; kind < 5; kind++) {
  for (let c = 0; c < 7; c++) {
    let next: number;
    if (c === CELL_MISSING) next = kind;
    else if (kind === TEXT || c === CELL_TEXT) next = TEXT;
    else if (c === CELL_TRUE || c === CELL_FALSE) next = kind === NONE || kind === BOOL ? BOOL : TEXT;
    else if (kind === BOOL) next = TEXT;
    else if (c === CELL_DECIMAL) next = NUM;
    else next = kind === NONE ? INT : kind; // an integer keeps INT or NUM
    KIND_STEP[kind * 7 + c] = next;
  }
}

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
  const base = column * cells.stride;
  let kind = NONE;
  if (cells.classified[column] === 1) {
    const kinds = cells.kinds;
    for (let r = 0; r < rows && kind !== TEXT; r++) kind = KIND_STEP[kind * 7 + kinds[base + r]!]!;
  } else {
    kind = TEXT;
  }
  if (kind === TEXT) {
    const text = textColumn(cells, column, rows);
    return { column: text, inferred: text.nullCount < rows ? "string" : undefined, type: "string" };
  }
  const inferred = KIND_TYPE[kind];
  const type = promote(floor, inferred) ?? ALL_MISSING_TYPE;
  const physical = physicalType(type);
  if (physical === "utf8") return { column: textColumn(cells, column, rows), inferred, type };
  return { column: numericColumn(cells, column, rows, physical), inferred, type };
}

/** A classified column stored as int64, float64 or bool, straight from the cells' values. */
function numericColumn(cells: Cells, column: number, rows: number, physical: PhysicalType): TypedColumn {
  const base = column * cells.stride;
  const valid = new Uint8Array(rows);
  const kinds = cells.kinds;
  let nulls = 0;
  for (let r = 0; r < rows; r++) {
    if (kinds[base + r] === CELL_MISSING) nulls++;
    else valid[r] = 1;
  }
  // A view of the builder's buffer: it is encoded before the next batch reuses the buffer.
  const typed: TypedColumn = { physical, length: rows, nullCount: nulls, valid, numbers: cells.values.subarray(base, base + rows) };
  if (physical === "int64" && cells.bigs.size > 0) {
    const bigs = new Map<number, bigint>();
    for (const [k, big] of cells.bigs) if (k >= base && k < base + rows) bigs.set(k - base, big);
    if (bigs.size > 0) typed.bigs = bigs;
  }
  return typed;
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
  const base = column * cells.stride;
  const { kinds, values } = cells;
  for (let r = 0; r < rows; r++) {
    const k = base + r;
    const c = kinds[k]!;
    if (c === CELL_MISSING) continue;
    let ok: boolean;
    if (physical === "bool") {
      ok = c === CELL_TRUE || c === CELL_FALSE;
      if (!ok) {
        const b = scanBooleanLoose(cellText(cells, k));
        ok = b >= 0;
        values[k] = b;
        kinds[k] = b === 1 ? CELL_TRUE : CELL_FALSE;
      }
    } else if (physical === "float64") {
      ok = c === CELL_INTEGER || c === CELL_BIG_INTEGER || c === CELL_DECIMAL;
    } else {
      // "3.0" or "1e3" are whole numbers too; "3.5" is not an integer.
      ok = c === CELL_INTEGER || c === CELL_BIG_INTEGER || (c === CELL_DECIMAL && Number.isSafeInteger(values[k]));
    }
    if (!ok) {
      const line = place.lines[r]!;
      const what = physical === "bool" ? "a boolean (true/false, yes/no, y/n, t/f, 1/0)" : physical === "int64" ? "an integer" : "a number";
      throw new CsvError(
        `${describePlace(line, column + 1, place.name)}: ${quoteValue(cellText(cells, k))} is not ${what}, and the column's type was set to ${type}`,
        { line, column: column + 1, columnName: place.name },
      );
    }
  }
  return numericColumn(cells, column, rows, physical);
}

const cell = new CellReader();

function cellText(cells: Cells, k: number): string {
  return cells.backing[cells.refs[k]!]!.slice(cells.starts[k]!, cells.ends[k]!);
}

function textColumn(cells: Cells, column: number, rows: number): TypedColumn {
  const valid = new Uint8Array(rows);
  const texts: (string | null)[] = new Array<string | null>(rows);
  const base = column * cells.stride;
  const classified = cells.classified[column] === 1;
  let nulls = 0;
  for (let r = 0; r < rows; r++) {
    const k = base + r;
    let missing: boolean;
    if (classified) missing = cells.kinds[k] === CELL_MISSING;
    else {
      const ref = cells.refs[k]!;
      cell.set(cells.backing[ref]!, cells.starts[k]!, cells.ends[k]!, cells.bytes[ref]);
      missing = cell.isMissing();
    }
    if (missing) {
      texts[r] = null;
      nulls++;
    } else {
      texts[r] = cellText(cells, k);
      valid[r] = 1;
    }
  }
  return { physical: "utf8", length: rows, nullCount: nulls, valid, texts };
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
    case "float64":
      stats.addNumbers(column.numbers!, valid, length);
      break;
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
