// Records -> typed Arrow batches, with the dataset's schema and statistics at the end.
//
// Memory stays bounded by one batch: raw cells are held until `rowsPerBatch` rows (or
// `maxBatchChars` characters of input) have arrived, then typed, encoded as a standalone Arrow IPC
// stream and handed to the caller, who stores it. Cells are held as spans of the decoded chunks
// they came from (three int32 each), not as strings: no per-cell allocation, nothing for the GC. Each batch is typed by its own cells, promoted with what
// earlier batches saw (types only go up: integer -> number -> string, boolean + other -> string),
// so a later batch never needs rewriting; an earlier batch does when a later one promotes a column.
// finish() lists those batches: rewrite each with conformBatch(ipc, result.schema).
import { encodeBatch } from "./arrow.js";
import { type CsvParserOptions, CsvScanner, type FieldSink } from "./csv-parser.js";
import { DataError } from "./errors.js";
import {
  ALL_MISSING_TYPE,
  checkTypeOverrides,
  type ColumnSchema,
  type ColumnType,
  type DatasetSchema,
  promote,
  samePhysicalSchema,
  textType,
  type TypeOverrides,
} from "./schema.js";
import { type ColumnStats, ColumnStatsBuilder, type ColumnSummary, type StatsOptions } from "./stats.js";
import { addToStats, type Cells, forcedColumn, inferColumn, type TypedColumn } from "./typed-column.js";

export const DEFAULT_ROWS_PER_BATCH = 65_536;
/** Flush a batch early once its raw cells reach this many characters (very wide rows). */
export const DEFAULT_MAX_BATCH_CHARS = 64 * 1024 * 1024;

export interface BatchBuilderOptions extends StatsOptions {
  /** Rows per Arrow batch (default 65,536). */
  rowsPerBatch?: number;
  /** Characters of raw cells that also end a batch (default 64 Mi), so wide rows cannot blow memory. */
  maxBatchChars?: number;
  /** Types the user set per column: they replace inference, and every value must parse as them. */
  types?: TypeOverrides;
}

export interface IngestBatch {
  /** 0-based position of the batch in the dataset. */
  index: number;
  /** Dataset row index of the batch's first row. */
  firstRow: number;
  rows: number;
  /** A standalone Arrow IPC stream: the schema message and one record batch. */
  ipc: Uint8Array;
  /** The types this batch is stored with (text columns are "string" here; category is decided at the end). */
  localSchema: DatasetSchema;
}

export interface IngestResult {
  rows: number;
  /** Batches emitted in all, `lastBatches` included. */
  batches: number;
  schema: DatasetSchema;
  /** Per column, the REST shape `{name, type, missing, stats}`. */
  columns: ColumnSummary[];
  /**
   * Indexes of emitted batches whose Arrow schema differs from `schema` (a later batch promoted a
   * column): rewrite each with conformBatch(ipc, schema) before recording the dataset.
   */
  staleBatches: number[];
  /** Batches that finish() itself emitted (usually the last, partial one): store them like the others. */
  lastBatches: IngestBatch[];
}

/**
 * Turns records into batches. Feed it records with add(), or use it as CsvScanner's FieldSink
 * (what CsvIngest does) and collect completed batches with takeBatches().
 */
export class BatchBuilder implements FieldSink {
  private readonly names: readonly string[];
  private readonly width: number;
  private readonly rowsPerBatch: number;
  private readonly maxChars: number;
  private readonly forced: (ColumnType | undefined)[];
  private readonly floors: (ColumnType | undefined)[];
  private readonly stats: ColumnStatsBuilder[];
  private readonly emitted: DatasetSchema[] = [];
  private readonly cells: Cells & { backing: string[] };
  private readonly lines: Float64Array;
  private completed: IngestBatch[] = [];
  private chunkText = "";
  private chunkRef = -1;
  private column = 0;
  private pending = 0;
  private chars = 0;
  private rows = 0;
  private done = false;

  constructor(header: readonly string[], options: BatchBuilderOptions = {}) {
    this.names = [...header];
    this.width = header.length;
    this.rowsPerBatch = options.rowsPerBatch ?? DEFAULT_ROWS_PER_BATCH;
    this.maxChars = options.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS;
    if (!Number.isInteger(this.rowsPerBatch) || this.rowsPerBatch < 1) throw new DataError(`rowsPerBatch must be a positive integer, got ${this.rowsPerBatch}`);
    const types = options.types ?? {};
    checkTypeOverrides(header, types);
    this.forced = header.map((name) => (Object.hasOwn(types, name) ? types[name] : undefined));
    this.floors = header.map(() => undefined);
    this.stats = header.map(() => new ColumnStatsBuilder(options));
    const size = this.width * this.rowsPerBatch;
    this.cells = { backing: [], refs: new Int32Array(size), starts: new Int32Array(size), ends: new Int32Array(size), stride: this.rowsPerBatch };
    this.lines = new Float64Array(this.rowsPerBatch);
  }

  /** Adds one record (as many fields as the header); returns a batch when one is complete. */
  add(fields: readonly string[], line: number): IngestBatch | undefined {
    if (fields.length !== this.width) throw new Error(`record has ${fields.length} fields, the header ${this.width}`);
    for (const f of fields) this.field(f);
    this.record(line);
    return this.completed.pop();
  }

  /** Batches completed since the last call (FieldSink use). */
  takeBatches(): IngestBatch[] {
    const out = this.completed;
    this.completed = [];
    return out;
  }

  // FieldSink: cells arrive as spans of the current chunk or as whole strings.

  chunk(text: string): void {
    this.cells.backing.push(text);
    this.chunkText = text;
    this.chunkRef = this.cells.backing.length - 1;
    this.chars += text.length;
  }

  span(start: number, end: number): void {
    const j = this.column++;
    if (j >= this.width) return; // the scanner rejects the record at its end
    const k = j * this.rowsPerBatch + this.pending;
    this.cells.refs[k] = this.chunkRef;
    this.cells.starts[k] = start;
    this.cells.ends[k] = end;
  }

  field(value: string): void {
    const j = this.column++;
    if (j >= this.width) return;
    const k = j * this.rowsPerBatch + this.pending;
    this.cells.refs[k] = this.cells.backing.push(value) - 1;
    this.cells.starts[k] = 0;
    this.cells.ends[k] = value.length;
    this.chars += value.length;
  }

  record(line: number): void {
    if (this.done) throw new Error("BatchBuilder: record after finish()");
    this.column = 0;
    this.lines[this.pending++] = line;
    if (this.pending === this.rowsPerBatch || this.chars >= this.maxChars) this.completed.push(this.flush()!);
  }

  /** Emits the pending rows as a batch now (undefined when none are pending). */
  flush(): IngestBatch | undefined {
    const rows = this.pending;
    if (rows === 0) return undefined;
    const schema: ColumnSchema[] = [];
    const columns: TypedColumn[] = [];
    for (let j = 0; j < this.width; j++) {
      const name = this.names[j]!;
      const forced = this.forced[j];
      let column: TypedColumn;
      let type: ColumnType;
      if (forced !== undefined) {
        column = forcedColumn(this.cells, j, rows, forced, { lines: this.lines, name });
        type = forced;
      } else {
        const inferred = inferColumn(this.cells, j, rows, this.floors[j]);
        this.floors[j] = promote(this.floors[j], inferred.inferred);
        column = inferred.column;
        type = inferred.type;
      }
      addToStats(column, this.stats[j]!);
      columns.push(column);
      schema.push({ name, type });
    }
    const batch: IngestBatch = { index: this.emitted.length, firstRow: this.rows, rows, ipc: encodeBatch(schema, columns, rows), localSchema: schema };
    this.emitted.push(schema);
    this.rows += rows;
    this.pending = 0;
    // The next batch starts with no cells, but later spans still point into the current chunk.
    this.cells.backing = [this.chunkText];
    this.chunkRef = 0;
    this.chars = this.chunkText.length;
    return batch;
  }

  /** Flushes the last rows and returns the dataset's schema, statistics and the batches to conform. */
  finish(): IngestResult {
    if (this.done) throw new Error("BatchBuilder.finish called twice");
    const lastBatches = this.takeBatches();
    const last = this.flush();
    if (last !== undefined) lastBatches.push(last);
    this.done = true;
    const schema: ColumnSchema[] = [];
    const columns: ColumnSummary[] = [];
    for (let j = 0; j < this.names.length; j++) {
      const name = this.names[j]!;
      const stats = this.stats[j]!;
      let type = this.forced[j] ?? this.floors[j] ?? ALL_MISSING_TYPE;
      let summary: ColumnStats;
      if (type === "string" && this.forced[j] === undefined) {
        summary = stats.summarize("string");
        type = textType(summary.distinct, this.rows - stats.missing, summary.distinctApproximate === true);
      } else {
        summary = stats.summarize(type);
      }
      schema.push({ name, type });
      columns.push({ name, type, missing: stats.missing, stats: summary });
    }
    const staleBatches: number[] = [];
    this.emitted.forEach((s, index) => {
      if (!samePhysicalSchema(s, schema)) staleBatches.push(index);
    });
    return { rows: this.rows, batches: this.emitted.length, schema, columns, staleBatches, lastBatches };
  }
}

export interface CsvIngestOptions extends BatchBuilderOptions, CsvParserOptions {}

/** Bytes of a CSV upload -> batches: a CsvScanner feeding a BatchBuilder. */
export class CsvIngest {
  private readonly scanner: CsvScanner;
  private builder: BatchBuilder | undefined;
  private failed: unknown;

  constructor(options: CsvIngestOptions = {}) {
    this.scanner = new CsvScanner(options, (header) => {
      this.builder = new BatchBuilder(header, options); // checks the type overrides against the header
      return this.builder;
    });
  }

  /** The header, once read. */
  get header(): readonly string[] | undefined {
    return this.scanner.header;
  }

  /** Parses a chunk of the upload; returns the batches it completed (usually none). */
  push(chunk: Uint8Array): IngestBatch[] {
    return this.guard(() => {
      this.scanner.push(chunk);
      return this.builder?.takeBatches() ?? [];
    });
  }

  /** Ends the upload: returns the schema, statistics, stale batches and the last batch. */
  finish(): IngestResult {
    return this.guard(() => {
      this.scanner.end(); // throws for an empty file or one without data rows
      return this.builder!.finish();
    });
  }

  private guard<T>(fn: () => T): T {
    if (this.failed !== undefined) throw this.failed;
    try {
      return fn();
    } catch (err) {
      this.failed = err;
      throw err;
    }
  }
}
