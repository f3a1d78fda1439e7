// Errors for bad input. The library knows nothing about transports: the gateway maps DataError
// (and so CsvError) to INVALID_ARGUMENT / HTTP 400 in its one error table, using `details`.

/** Bad input that is not tied to a place in the file (for example an unknown type override). */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }

  /** Machine-readable context for an API error body. */
  get details(): Record<string, unknown> {
    return {};
  }
}

export interface CsvErrorPlace {
  /** 1-based physical line: the header is line 1 and newlines inside quoted fields count. */
  line: number;
  /** 1-based field index within the record, when the error is about one field. */
  column?: number;
  /** The header's name for `column`, when the header is known. */
  columnName?: string;
  /** 0-based byte offset in the file (invalid UTF-8, NUL bytes). */
  byteOffset?: number;
}

/** Bad CSV content, located in the file. The message is written for the person who made the file. */
export class CsvError extends DataError {
  readonly line: number;
  readonly column?: number;
  readonly columnName?: string;
  readonly byteOffset?: number;

  constructor(message: string, place: CsvErrorPlace) {
    super(message);
    this.name = "CsvError";
    this.line = place.line;
    if (place.column !== undefined) this.column = place.column;
    if (place.columnName !== undefined) this.columnName = place.columnName;
    if (place.byteOffset !== undefined) this.byteOffset = place.byteOffset;
  }

  override get details(): Record<string, unknown> {
    const d: Record<string, unknown> = { line: this.line };
    if (this.column !== undefined) d["column"] = this.column;
    if (this.columnName !== undefined) d["columnName"] = this.columnName;
    if (this.byteOffset !== undefined) d["byteOffset"] = this.byteOffset;
    return d;
  }
}

/** `line 3, column 2 ("price")` — the prefix every located message starts with. */
export function describePlace(line: number, column?: number, columnName?: string): string {
  if (column === undefined) return `line ${line}`;
  return columnName === undefined ? `line ${line}, column ${column}` : `line ${line}, column ${column} (${JSON.stringify(columnName)})`;
}

/** A DataError or CsvError as plain data, to cross a worker thread's message port. */
export type SerializedError =
  | { kind: "csv"; message: string; place: CsvErrorPlace }
  | { kind: "data"; message: string }
  | { kind: "other"; message: string; stack?: string };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof CsvError) {
    const place: CsvErrorPlace = { line: err.line };
    if (err.column !== undefined) place.column = err.column;
    if (err.columnName !== undefined) place.columnName = err.columnName;
    if (err.byteOffset !== undefined) place.byteOffset = err.byteOffset;
    return { kind: "csv", message: err.message, place };
  }
  if (err instanceof DataError) return { kind: "data", message: err.message };
  const e = err instanceof Error ? err : new Error(String(err));
  return e.stack === undefined ? { kind: "other", message: e.message } : { kind: "other", message: e.message, stack: e.stack };
}

/** The error serializeError() described, as the same class (so callers map it the same way). */
export function reviveError(e: SerializedError): Error {
  switch (e.kind) {
    case "csv":
      return new CsvError(e.message, e.place);
    case "data":
      return new DataError(e.message);
    case "other": {
      const err = new Error(e.message);
      if (e.stack !== undefined) err.stack = e.stack;
      return err;
    }
  }
}
