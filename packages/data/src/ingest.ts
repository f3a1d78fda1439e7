// Records -> typed Arrow batches, with the dataset's schema and statistics at the end.
//
// Memory stays bounded by one batch: cells are held until `rowsPerBatch` rows have arrived (fewer
// for very wide files, see DEFAULT_MAX_BATCH_CELLS, or once `maxBatchChars` characters of input
// have), then typed, encoded as a standalone Arrow IPC stream and handed to the caller, who stores
// it. A cell is held as a span of the decoded chunk it came from plus its class and parsed value
// (21 bytes in typed arrays), not as a string: no per-cell allocation, nothing for the GC.
//
// Each batch is typed by its own cells, promoted with what earlier batches saw (types only go up:
// integer -> number -> string, boolean + other -> string), so a later batch never needs
// rewriting; an earlier batch does when a later one promotes a column. finish() lists those
// batches: rewrite each with conformBatch(ipc, result.schema).
import { encodeBatch } from "./arrow.js";
import { CELL_BIG_INTEGER, CELL_DECIMAL, CELL_INTEGER, CELL_TEXT, CELL_TRUE, CellReader, classifyAt, NOT_NUMERIC, parsed, scanNumberFrom } from "./cells.js";
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
/** Flush a batch early once it holds this many characters of input (very long rows). */
export const DEFAULT_MAX_BATCH_CHARS = 32 * 1024 * 1024;
/** Cells (rows x columns) a batch holds at most: a 1000-column file gets batches of 2097 rows. */
export const DEFAULT_MAX_BATCH_CELLS = 2 * 1024 * 1024;

export interface BatchBuilderOptions extends StatsOptions {
  /** Rows per Arrow batch (default 65,536). */
  rowsPerBatch?: number;
  /** Characters of raw input that also end a batch (default 32 Mi), so long rows cannot blow memory. */
  maxBatchChars?: number;
  /** Rows x columns a batch holds at most (default 2 Mi): caps rowsPerBatch for wide files. */
  maxBatchCells?: number;
  /** Types the user set per column: they replace inference, and every value must parse as them. */
  types?: TypeOverrides;
  /** The index of the first batch and the dataset row of the first record (parts of a file parsed apart). */
  firstBatch?: { index: number; row: number };
  /**
   * Types earlier parts of the file promoted columns to (parts parsed apart): this part's batches
   * are stored as at least these, as if its records had followed those parts in one parse.
   */
  floors?: Record<string, ColumnType>;
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
 * What a BatchBuilder saw, before the dataset's types are decided: the statistics of several
 * builders (parts of one file parsed apart) merge into one result with summarizeIngest().
 */
export interface IngestPart {
  /** Index of the part's first batch. */
  firstBatch: number;
  rows: number;
  /** Each emitted batch's local schema, in order. */
  emitted: DatasetSchema[];
  /** Per column, the type the part's cells promoted it to (undefined: all missing). */
  floors: (ColumnType | undefined)[];
  stats: ColumnStatsBuilder[];
}

/**
 * The dataset's schema, statistics and stale batches from the parts of a file, given in file
 * order (one part when the file was parsed in one piece). Merges the parts' statistics into the
 * first part's builders.
 */
export function summarizeIngest(header: readonly string[], types: TypeOverrides | undefined, parts: readonly IngestPart[]): Omit<IngestResult, "lastBatches"> {
  const first = parts[0]!;
  const stats = first.stats;
  const floors = [...first.floors];
  let rows = first.rows;
  for (const part of parts.slice(1)) {
    part.stats.forEach((s, j) => stats[j]!.merge(s));
    part.floors.forEach((f, j) => (floors[j] = promote(floors[j], f)));
    rows += part.rows;
  }
  const forced = header.map((name) => (types !== undefined && Object.hasOwn(types, name) ? types[name] : undefined));
  const schema: ColumnSchema[] = [];
  const columns: ColumnSummary[] = [];
  for (let j = 0; j < header.length; j++) {
    const name = header[j]!;
    const column = stats[j]!;
    let type = forced[j] ?? floors[j] ?? ALL_MISSING_TYPE;
    let summary: ColumnStats;
    if (type === "string" && forced[j] === undefined) {
      summary = column.summarize("string");
      type = textType(summary.distinct, rows - column.missing, summary.distinctApproximate === true);
    } else {
      summary = column.summarize(type);
    }
    schema.push({ name, type });
    columns.push({ name, type, missing: column.missing, stats: summary });
  }
  const staleBatches: number[] = [];
  let batches = 0;
  for (const part of parts) {
    part.emitted.forEach((s, i) => {
      if (!samePhysicalSchema(s, schema)) staleBatches.push(part.firstBatch + i);
    });
    batches += part.emitted.length;
  }
  return { rows, batches, schema, columns, staleBatches };
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
  private readonly cells: Cells & { backing: string[]; bytes: (Uint8Array | undefined)[] };
  private readonly reader = new CellReader();
  readonly wantsBytes = true;
  private readonly lines: Float64Array;
  private readonly types: TypeOverrides | undefined;
  private readonly firstBatch: { index: number; row: number };
  private completed: IngestBatch[] = [];
  /** Columns of the last batch whose statistics end() left for statsStep() or finish(). */
  private pendingStats: { column: TypedColumn; stats: ColumnStatsBuilder }[] = [];
  private chunkText = "";
  private chunkBytes: Uint8Array | undefined;
  private chunkRef = -1;
  private column = 0;
  /** The class numberAt found, for numberSpan. */
  private numberKind = 0;
  private pending = 0;
  private chars = 0;
  private rows = 0;
  private done = false;
  private ended = false;

  constructor(header: readonly string[], options: BatchBuilderOptions = {}) {
    this.names = [...header];
    this.width = header.length;
    const rowsPerBatch = options.rowsPerBatch ?? DEFAULT_ROWS_PER_BATCH;
    if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1) throw new DataError(`rowsPerBatch must be a positive integer, got ${rowsPerBatch}`);
    this.rowsPerBatch = Math.max(1, Math.min(rowsPerBatch, Math.floor((options.maxBatchCells ?? DEFAULT_MAX_BATCH_CELLS) / Math.max(1, header.length))));
    this.maxChars = options.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS;
    const types = options.types ?? {};
    checkTypeOverrides(header, types);
    this.types = options.types;
    this.firstBatch = options.firstBatch ?? { index: 0, row: 0 };
    this.forced = header.map((name) => (Object.hasOwn(types, name) ? types[name] : undefined));
    const floors = options.floors ?? {};
    this.floors = header.map((name) => (Object.hasOwn(floors, name) ? floors[name] : undefined));
    this.stats = header.map(() => new ColumnStatsBuilder(options));
    const size = this.width * this.rowsPerBatch;
    this.cells = {
      backing: [],
      bytes: [],
      refs: new Int32Array(size),
      starts: new Int32Array(size),
      ends: new Int32Array(size),
      stride: this.rowsPerBatch,
      kinds: new Uint8Array(size),
      values: new Float64Array(size),
      bigs: new Map(),
      classified: new Uint8Array(this.width),
    };
    this.lines = new Float64Array(this.rowsPerBatch);
    this.startBatch();
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

  chunk(text: string, ascii: Uint8Array | undefined): void {
    this.cells.backing.push(text);
    this.cells.bytes.push(ascii);
    this.chunkText = text;
    this.chunkBytes = ascii;
    this.chunkRef = this.cells.backing.length - 1;
    this.chars += text.length;
  }

  span(start: number, end: number): void {
    const j = this.column++;
    if (j >= this.width) return; // the scanner rejects the record at its end
    const k = j * this.rowsPerBatch + this.pending;
    const cells = this.cells;
    cells.refs[k] = this.chunkRef;
    cells.starts[k] = start;
    cells.ends[k] = end;
    if (cells.classified[j] === 0) return;
    const bytes = this.chunkBytes;
    if (bytes !== undefined) this.classified(j, k, classifyAt(bytes, start, end, this.chunkText, 0));
    else {
      this.reader.set(this.chunkText, start, end, undefined);
      this.classified(j, k, this.reader.classify());
    }
  }

  /** FieldSink's fast path: a number starting a cell of a column still being classified. */
  numberAt(bytes: Uint8Array, start: number, limit: number): number {
    if (this.cells.classified[this.column] !== 1) return -1;
    const kind = scanNumberFrom(bytes, start, limit, this.chunkText, 0);
    if (kind === NOT_NUMERIC) return -1;
    this.numberKind = kind;
    return parsed.end;
  }

  /** The cell numberAt just read, as span() would have classified it. */
  numberSpan(start: number, end: number): void {
    const j = this.column++;
    const k = j * this.rowsPerBatch + this.pending;
    const cells = this.cells;
    cells.refs[k] = this.chunkRef;
    cells.starts[k] = start;
    cells.ends[k] = end;
    this.classified(j, k, this.numberKind);
  }

  field(value: string): void {
    const j = this.column++;
    if (j >= this.width) return;
    const k = j * this.rowsPerBatch + this.pending;
    const cells = this.cells;
    cells.refs[k] = cells.backing.push(value) - 1;
    cells.bytes.push(undefined);
    cells.starts[k] = 0;
    cells.ends[k] = value.length;
    this.chars += value.length;
    if (cells.classified[j] === 0) return;
    this.reader.set(value, 0, value.length, undefined);
    this.classified(j, k, this.reader.classify());
  }

  /** Records a cell's class and value (left in `parsed` by the classifier). */
  private classified(j: number, k: number, kind: number): void {
    const cells = this.cells;
    cells.kinds[k] = kind;
    if (kind >= CELL_INTEGER && kind <= CELL_DECIMAL) {
      cells.values[k] = parsed.value;
      if (kind === CELL_BIG_INTEGER) cells.bigs.set(k, parsed.big);
    } else {
      cells.values[k] = kind === CELL_TRUE ? 1 : 0;
      // Text settles an inferred column's type for this batch: stop classifying it.
      if (kind === CELL_TEXT && this.forced[j] === undefined) cells.classified[j] = 0;
    }
  }

  /** Which columns need classifying: not those already known to be text. */
  private startBatch(): void {
    for (let j = 0; j < this.width; j++) {
      const type = this.forced[j] ?? this.floors[j];
      this.cells.classified[j] = type === "string" || type === "category" ? 0 : 1;
    }
    this.cells.bigs.clear();
  }

  record(line: number): void {
    if (this.done) throw new Error("BatchBuilder: record after finish()");
    if (this.ended) throw new Error("BatchBuilder: record after end()");
    this.column = 0;
    this.lines[this.pending++] = line;
    if (this.pending === this.rowsPerBatch || this.chars >= this.maxChars) this.completed.push(this.flush()!);
  }

  /**
   * Emits the pending rows as a batch now (undefined when none are pending). With `deferStats`
   * (the last batch only: its columns are views of buffers a next batch would reuse), the rows'
   * statistics wait for statsStep() or finish().
   */
  flush(deferStats = false): IngestBatch | undefined {
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
      if (deferStats) this.pendingStats.push({ column, stats: this.stats[j]! });
      else addToStats(column, this.stats[j]!);
      columns.push(column);
      schema.push({ name, type });
    }
    const batch: IngestBatch = {
      index: this.firstBatch.index + this.emitted.length,
      firstRow: this.firstBatch.row + this.rows,
      rows,
      ipc: encodeBatch(schema, columns, rows),
      localSchema: schema,
    };
    this.emitted.push(schema);
    this.rows += rows;
    this.pending = 0;
    // The next batch starts with no cells, but later spans still point into the current chunk.
    this.cells.backing = [this.chunkText];
    this.cells.bytes = [this.chunkBytes];
    this.chunkRef = 0;
    this.chars = this.chunkText.length;
    this.startBatch();
    return batch;
  }

  /**
   * No more records: returns the batches not taken yet and the last rows as a batch, before the
   * statistics of those rows are added (statsStep(), finish()), so the caller can start storing
   * them first. finish() then lists no lastBatches.
   */
  end(): IngestBatch[] {
    if (this.done) throw new Error("BatchBuilder: end after finish()");
    if (this.ended) throw new Error("BatchBuilder.end called twice");
    const batches = this.takeBatches();
    const last = this.flush(true);
    if (last !== undefined) batches.push(last);
    this.ended = true;
    return batches;
  }

  /** Per column, the type the records so far promoted it to (undefined: all missing), from the initial floors up. */
  get floorTypes(): (ColumnType | undefined)[] {
    return [...this.floors];
  }

  /** Adds the statistics end() left for one column; false when none are left. */
  statsStep(): boolean {
    const next = this.pendingStats.shift();
    if (next === undefined) return false;
    addToStats(next.column, next.stats);
    return true;
  }

  /** Flushes the last rows and returns the dataset's schema, statistics and the batches to conform. */
  finish(): IngestResult {
    const lastBatches = this.ended ? [] : this.end();
    return { ...summarizeIngest(this.names, this.types, [this.part()]), lastBatches };
  }

  /** Ends the builder (after end()) and returns what it saw, for summarizeIngest() with other parts. */
  part(): IngestPart {
    if (this.done) throw new Error("BatchBuilder: finished twice");
    if (!this.ended) throw new Error("BatchBuilder.part() needs end() first");
    while (this.statsStep());
    this.done = true;
    return { firstBatch: this.firstBatch.index, rows: this.rows, emitted: this.emitted, floors: [...this.floors], stats: this.stats };
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

  /**
   * Ends the upload's bytes and returns its last batches at once, before the statistics of their
   * rows: store them while statsStep() runs (one column per call), then call finish(), which
   * lists no lastBatches. finish() alone does all of it.
   */
  end(): IngestBatch[] {
    return this.guard(() => {
      this.scanner.end(); // throws for an empty file or one without data rows
      return this.builder!.end();
    });
  }

  /** Adds one column's pending statistics after end(); false when none are left. */
  statsStep(): boolean {
    return this.guard(() => this.builder?.statsStep() ?? false);
  }

  /** Ends the upload: returns the schema, statistics, stale batches and the last batch. */
  finish(): IngestResult {
    return this.guard(() => {
      this.scanner.end(); // throws for an empty file or one without data rows; a no-op after end()
      return this.builder!.finish();
    });
  }

  /** Per column, the type the records so far promoted it to (see BatchBuilder.floorTypes). */
  get floorTypes(): (ColumnType | undefined)[] {
    return this.builder?.floorTypes ?? [];
  }

  /** After end(): what this part of a file saw, for summarizeIngest() (instead of finish()). */
  part(): IngestPart {
    return this.guard(() => this.builder!.part());
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
