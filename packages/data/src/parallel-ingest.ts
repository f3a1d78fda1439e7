// CSV ingest in worker threads, so that parsing an upload (its costliest part) runs on other
// cores than the one receiving the bytes and writing the batches to the stores, and a large
// upload is parsed on several cores at once.
//
// ParallelIngest (the caller's side) mirrors CsvIngest, made asynchronous: push() the upload's
// chunks and end(), while another loop takes each batch with nextBatch() as soon as it is
// complete; then finish(). It cuts the upload into parts of exactly one batch of records each and
// streams each part, after the header line, to a worker of the pool (a PartSession): part k is
// batch k, so parts are parsed independently and in parallel, and their statistics merge at the
// end (summarizeIngest). Cutting needs to know where records end, which is only certain while no
// quote has been seen: from the first chunk holding a quote (or a lone CR, a line break the cut
// does not count) the current part simply takes the rest of the file, parsed in one piece.
// Memory stays bounded: at most `workers` parts are being parsed, each under 32 MiB.
import { Buffer } from "node:buffer";
import {
  DEFAULT_MAX_BATCH_CELLS,
  DEFAULT_MAX_BATCH_CHARS,
  DEFAULT_ROWS_PER_BATCH,
  type IngestBatch,
  type IngestResult,
  summarizeIngest,
} from "./ingest.js";
import type { IngestThreads, PartSession, ThreadedIngestOptions } from "./ingest-pool.js";
import { ALL_MISSING_TYPE, type ColumnType, physicalType, promote } from "./schema.js";

/** Bytes posted to the worker parsing the rest of a file in one piece, past which push() waits. */
const MAX_UNPARSED_BYTES = 4 << 20;
/** A header line longer than this is not held back to look for its end: the file is parsed in one piece. */
const MAX_HEADER_BYTES = 1 << 20;
/** Room a part leaves below maxBatchChars, so that its worker never ends its batch early by size. */
const PART_SLACK_BYTES = 2 << 20;

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** One upload, cut into parts parsed in parallel (see the top of this file). */
export class ParallelIngest {
  private readonly parts: PartSession[] = [];
  /** The part receiving bytes now. */
  private current: PartSession | undefined;
  private waiters: (() => void)[] = [];
  private abandoned: Error | undefined;
  private ended = false;
  /** Cutting is on (a quote-free file so far); off, the current part takes the rest. */
  private cutting = true;

  // The header line, collected until its line break (the first LF).
  private headerChunks: Uint8Array[] = [];
  private headerBytes = 0;
  private header: Uint8Array | undefined;
  /** The header's column names, when parts are cut (the header is then plain: no quotes). */
  private names: string[] = [];
  private rowsPerPart = 0;

  // Where the cutter is in the file.
  private offset = 0; // bytes consumed
  private lines = 0; // line breaks (LFs) seen
  private rows = 0; // records in parts already cut
  private partRows = 0; // records in the current part so far
  private partBytes = 0;
  private lineBytes = 0; // bytes of the current line so far
  private lastByte = -1; // the byte before the current position (for CRLF)
  /** The part whose batches are delivered next: batches go out in file order. */
  private next = 0;
  /** Per column, the type the delivered batches promoted it to. */
  private floors: (ColumnType | undefined)[] = [];

  constructor(
    private readonly pool: IngestThreads,
    private readonly options: ThreadedIngestOptions,
  ) {
    // Delimiters are one character; cutting counts bytes, so a multi-byte one parses in one piece.
    const d = options.delimiter ?? ",";
    if (d.length !== 1 || d.charCodeAt(0) > 127) this.cutting = false;
    // One worker: parts would wait for each other; a single part streams instead.
    if (pool.workers === 1) this.cutting = false;
    const rowsPerBatch = options.rowsPerBatch ?? DEFAULT_ROWS_PER_BATCH;
    if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1) this.cutting = false; // the worker reports it
    this.rowsPerPart = rowsPerBatch;
  }

  /**
   * Hands over a chunk of the upload; waits while every worker is busy or too far behind. The
   * chunk is kept (not copied) until its part's batch is delivered, to parse it again if need be:
   * the caller must not reuse its bytes (an upload's freshly received buffers).
   */
  async push(chunk: Uint8Array): Promise<void> {
    this.throwIfFailed();
    if (chunk.byteLength === 0) return;
    if (this.header === undefined) {
      chunk = this.collectHeader(chunk);
      if (this.header === undefined || chunk.byteLength === 0) return;
    }
    if (this.cutting && this.holdsUncuttable(chunk)) this.stopCutting();
    if (!this.cutting) {
      await this.feed(chunk);
      this.offset += chunk.byteLength;
      return;
    }
    await this.cut(chunk);
  }

  /** No more bytes: the parts complete their last batches (nextBatch) and statistics (finish). */
  end(): void {
    this.throwIfFailed();
    this.ended = true;
    // The whole file is one line (or less): a single part, parsed in one piece.
    if (this.header === undefined) this.parseInOnePiece(this.takeHeaderChunks());
    const last = this.current!;
    if (this.cutting && this.partRows === 0 && !this.lineHasText() && this.parts.length > 1) {
      // Nothing but blank lines after the last cut: that part has no records; drop it.
      last.abort();
      this.parts.pop();
    } else {
      last.end(); // a part with no records at all fails there, as an empty file should
    }
    this.current = undefined;
    this.notify();
  }

  /**
   * The next batch in file order, as soon as it is complete; undefined once end() was called and
   * every batch was returned. A part parsed while an earlier one was still being parsed did not
   * know what that one would promote its columns to: when its batch is stored narrower than
   * parsing in one piece would have stored it (integers where an earlier part had decimals or
   * text), it is parsed again from its kept bytes with those types, so that the dataset holds
   * exactly what a sequential parse gives (text keeps its spelling, and no batch is rewritten).
   */
  async nextBatch(): Promise<IngestBatch | undefined> {
    for (;;) {
      this.throwIfFailed();
      const part = this.parts[this.next];
      if (part === undefined) {
        if (this.ended) return undefined;
        await this.changed();
        continue;
      }
      if (part.retain && part.allReceived && !this.fitsFloors(part)) {
        this.reparse(this.next);
        continue;
      }
      if (part.retain && !part.allReceived) {
        await this.changed(); // a cut part's batch is judged with the part's types, at its end
        continue;
      }
      const batch = part.received.shift();
      if (batch !== undefined) return batch;
      if (part.allReceived) {
        this.raiseFloors(part.floors);
        part.raw.length = 0;
        this.next++;
        continue;
      }
      await this.changed();
    }
  }

  /** Whether a part's batches are stored as the types the delivered batches call for. */
  private fitsFloors(part: PartSession): boolean {
    const forced = this.options.types ?? {};
    return part.floors.every((own, j) => {
      const floor = this.floors[j];
      if (floor === undefined) return true;
      const name = this.names[j];
      if (name !== undefined && Object.hasOwn(forced, name)) return true;
      const stored = physicalType(own ?? ALL_MISSING_TYPE);
      return physicalType(promote(floor, own) ?? ALL_MISSING_TYPE) === stored;
    });
  }

  private floorsByName(): Record<string, ColumnType> {
    const floors: Record<string, ColumnType> = {};
    this.floors.forEach((t, j) => {
      if (t !== undefined && this.names[j] !== undefined) floors[this.names[j]!] = t;
    });
    return floors;
  }

  private raiseFloors(types: readonly (ColumnType | undefined)[]): void {
    types.forEach((t, j) => (this.floors[j] = promote(this.floors[j], t)));
  }

  /** Parses part `index` again from its kept bytes, its columns at least the delivered batches' types. */
  private reparse(index: number): void {
    const old = this.parts[index]!;
    old.abort();
    const again = this.pool.startPart({ ...old.options, floors: this.floorsByName() }, old.header, () => this.notify());
    again.retain = false; // judged once: its types already include the floors
    for (const chunk of old.raw) void again.push(chunk, () => this.changed());
    again.end();
    this.parts[index] = again;
  }

  /** The schema, statistics and stale batches of the whole upload, once end() was called. */
  async finish(): Promise<IngestResult> {
    while (this.parts.some((p) => !p.done) && this.firstFailure() === undefined) await this.changed();
    this.throwIfFailed();
    const results = this.parts.map((p) => p.result!);
    return { ...summarizeIngest(results[0]!.header, this.options.types, results.map((r) => r.part)), lastBatches: [] };
  }

  /** Abandons the upload: pending calls reject and every worker drops its part. */
  abort(): void {
    this.abandoned ??= new Error("the upload was abandoned");
    for (const p of this.parts) p.abort();
    this.notify();
  }

  /** Collects bytes until the header's line break; returns what follows it. */
  private collectHeader(chunk: Uint8Array): Uint8Array {
    const lf = asBuffer(chunk).indexOf(LF);
    if (lf < 0) {
      this.headerChunks.push(chunk);
      this.headerBytes += chunk.byteLength;
      // No LF in sight (a file whose lines end with a lone CR, or a huge header): parse it all in
      // one piece rather than hold it here.
      if (this.headerBytes > MAX_HEADER_BYTES || asBuffer(chunk).indexOf(CR) >= 0) {
        this.parseInOnePiece(this.takeHeaderChunks());
      }
      return new Uint8Array(0);
    }
    this.headerChunks.push(chunk.subarray(0, lf + 1));
    const header = this.takeHeaderChunks();
    const h = asBuffer(header);
    // Cut only after a plain header: no quote, no CR but the one of a CRLF, not blank, 3 bytes at
    // least (a BOM may take 3), and a delimiter count that is the column count.
    const crlf = header.byteLength >= 2 && header[header.byteLength - 2] === CR;
    const cr = h.indexOf(CR);
    if (h.indexOf(QUOTE) >= 0 || (cr >= 0 && !(crlf && cr === header.byteLength - 2)) || header.byteLength < 3 || header[0] === LF || header[0] === CR) {
      this.cutting = false;
    }
    if (this.cutting) {
      const delimiter = this.options.delimiter ?? ",";
      const bom = header[0] === 0xef && header[1] === 0xbb && header[2] === 0xbf ? 3 : 0;
      this.names = new TextDecoder().decode(header.subarray(bom)).replace(/\r?\n$/, "").split(delimiter);
      const width = this.names.length;
      const cells = this.options.maxBatchCells ?? DEFAULT_MAX_BATCH_CELLS;
      this.rowsPerPart = Math.max(1, Math.min(this.rowsPerPart, Math.floor(cells / width)));
      this.header = header;
      this.offset = header.byteLength;
      this.lines = 1;
      this.startPart(true);
    } else {
      this.parseInOnePiece(header);
    }
    return chunk.subarray(lf + 1);
  }

  private takeHeaderChunks(): Uint8Array {
    const bytes = concat(this.headerChunks);
    this.headerChunks = [];
    return bytes;
  }

  /** No cutting at all: one part from the first byte (`first`, the bytes so far) takes the whole file. */
  private parseInOnePiece(first: Uint8Array): void {
    this.header = new Uint8Array(0);
    this.cutting = false;
    this.startPart(false);
    if (first.byteLength > 0) void this.current!.push(first, () => this.changed());
    this.offset = first.byteLength;
  }

  /** Whether cutting `chunk` at its LFs could split a record: a quote, or a CR with no LF after it. */
  private holdsUncuttable(chunk: Uint8Array): boolean {
    const b = asBuffer(chunk);
    if (b.indexOf(QUOTE) >= 0) return true;
    if (this.lastByte === CR && chunk[0] !== LF) return true;
    for (let cr = b.indexOf(CR); cr >= 0; cr = b.indexOf(CR, cr + 1)) {
      if (cr + 1 < chunk.byteLength && chunk[cr + 1] !== LF) return true;
    }
    return false;
  }

  /** From here on the current part takes the rest of the file, parsed in one piece, with a bound on what waits. */
  private stopCutting(): void {
    this.cutting = false;
    this.current!.maxUnparsed = MAX_UNPARSED_BYTES; // it takes the rest, however long
    // It may hold many batches: not kept, and not parsed again (its first batch, if too narrow,
    // is listed stale and rewritten like any earlier batch a later one promotes).
    this.current!.retain = false;
    this.current!.raw.length = 0;
  }

  /**
   * Counts the chunk's records, ending a part after each `rowsPerPart` of them, or at the line end
   * where it has 2 MiB less than maxBatchChars, so that its worker never ends a batch early by
   * size (a part is one batch). A line that takes it past that bound ends the cutting: the part
   * parses the rest in one piece, ending batches by size as a sequential parse does.
   */
  private async cut(chunk: Uint8Array): Promise<void> {
    const b = asBuffer(chunk);
    const hardBytes = (this.options.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS) - this.header!.byteLength;
    const softBytes = hardBytes - PART_SLACK_BYTES;
    let from = 0; // the first byte of `chunk` not yet handed to a part
    let at = 0; // where the next line break is looked for
    for (;;) {
      const lf = b.indexOf(LF, at);
      if (lf < 0) {
        this.lineBytes += chunk.byteLength - at;
        if (chunk.byteLength > at) this.lastByte = chunk[chunk.byteLength - 1]!;
        break;
      }
      const length = this.lineBytes + (lf - at);
      const before = lf > at ? chunk[lf - 1]! : this.lastByte;
      this.lines++;
      if (length > 1 || (length === 1 && before !== CR)) this.partRows++; // blank lines are no records
      this.lineBytes = 0;
      this.lastByte = LF;
      at = lf + 1;
      const partBytes = this.partBytes + (at - from);
      if (partBytes >= hardBytes) break; // stop cutting, below
      if (this.partRows === this.rowsPerPart || partBytes >= softBytes) {
        await this.feed(chunk.subarray(from, at));
        this.offset += at - from;
        from = at;
        this.endPart();
        await this.openPart(); // here, where the line, byte and row counts are the next part's start
      }
    }
    if (from < chunk.byteLength) {
      await this.feed(chunk.subarray(from));
      this.offset += chunk.byteLength - from;
    }
    if (this.partBytes >= hardBytes) this.stopCutting();
  }

  /** Gives bytes to the current part. */
  private async feed(bytes: Uint8Array): Promise<void> {
    this.partBytes += bytes.byteLength;
    await this.current!.push(bytes, () => this.changed());
    this.throwIfFailed();
  }

  /** Starts the next part once fewer than `workers` parts are being parsed. */
  private async openPart(): Promise<void> {
    while (this.parts.filter((p) => !p.done).length >= this.pool.workers && this.firstFailure() === undefined) await this.changed();
    this.throwIfFailed();
    this.startPart(true);
  }

  private endPart(): void {
    this.current!.end();
    this.current = undefined;
    this.rows += this.partRows;
    this.partRows = 0;
    this.partBytes = 0;
  }

  /** Opens the next part: `continued` parts start at a record boundary after the header, numbered as in the whole file. */
  private startPart(continued: boolean): void {
    const options: ThreadedIngestOptions = continued
      ? {
          ...this.options,
          continuation: { line: this.lines + 1, byteOffset: this.offset },
          firstBatch: { index: this.parts.length, row: this.rows },
          floors: this.floorsByName(), // what the parts delivered so far call for
        }
      : this.options;
    this.current = this.pool.startPart(options, continued ? this.header! : new Uint8Array(0), () => this.notify());
    // A part from the first byte is the whole file: never parsed again, and bounded in what waits.
    this.current.retain = continued;
    if (!continued) this.current.maxUnparsed = MAX_UNPARSED_BYTES;
    this.parts.push(this.current);
  }

  private lineHasText(): boolean {
    return this.lineBytes > 1 || (this.lineBytes === 1 && this.lastByte !== CR);
  }

  /** The first failure in file order, once every part before it is done; else undefined. */
  private firstFailure(): Error | undefined {
    if (this.abandoned !== undefined) return this.parts.find((p) => p.failure !== undefined)?.failure ?? this.abandoned;
    for (const p of this.parts) {
      if (p.failure !== undefined) return p.failure;
      if (!p.done) return undefined;
    }
    return undefined;
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private throwIfFailed(): void {
    const failure = this.firstFailure();
    if (failure !== undefined) throw failure;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}
