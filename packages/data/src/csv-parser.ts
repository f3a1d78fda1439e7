// Streaming RFC 4180 CSV parser: push byte chunks split anywhere, get fields and records out.
//
// Bytes are validated and decoded chunk by chunk with node:buffer's native routines (a chunk that
// ends inside a UTF-8 character carries those 1-3 bytes over), then a small state machine scans the
// chunk's string with charCodeAt. State (the field count, a partial field, inside quotes or not, a
// CR whose LF may start the next chunk) carries across chunks, so nothing is rescanned and a huge
// quoted field costs linear time.
//
// Fields go to a FieldSink as spans of the decoded chunk (start, end) whenever they lie inside one
// chunk and need no unescaping, so a consumer that only needs numbers never allocates a string
// per cell (that is most of the cost of ingesting numeric data). CsvParser is the simple consumer:
// one string[] per record.
//
// Decisions (pandas' behaviour unless it would hide a broken file):
// - a header row is required; empty (or blank) and duplicate column names are errors;
// - empty lines are skipped wherever they are (pandas' skip_blank_lines);
// - CRLF, LF and a lone CR all end a record; inside quotes they are kept as they are;
// - a quote inside an unquoted field is an ordinary character (`5"` stays `5"`), like pandas and
//   Python's csv module: such files are common and unambiguous;
// - after a closing quote only a delimiter or a line end may follow: `"a"b` and `"say "hi""` are
//   errors, because they nearly always mean an unescaped quote that would shift every later field;
// - NUL bytes and invalid UTF-8 are errors (the file is binary or in another encoding);
// - a header with no data rows is an error: a dataset has at least one row.
// Errors arrive in file order whatever the chunking: a chunk's valid prefix is parsed before a
// NUL or invalid byte in it is reported.
import { Buffer } from "node:buffer";
import { CsvError, describePlace } from "./errors.js";
import { decodeUtf8, firstInvalidUtf8, incompleteTail, sequenceLength } from "./utf8.js";

const LF = 10;
const CR = 13;
const QUOTE = 34;

// Scanner modes.
const FIELD_START = 0; // at the first character of a field
const UNQUOTED = 1; // inside an unquoted field that began in an earlier chunk (its text so far in `part`)
const QUOTED = 2; // inside a quoted field
const AFTER_QUOTE = 3; // just after a quote inside a quoted field: `""`, or the closing quote

export interface CsvParserOptions {
  /** One character (default ","): for example "\t" or ";". Not a quote, CR or LF. */
  delimiter?: string;
  /**
   * The caller hands each pushed chunk over and never changes its bytes afterwards (an upload's
   * freshly received buffers), so a sink that keeps a chunk's bytes gets a view, not a copy.
   */
  adoptChunks?: boolean;
  /**
   * The input is the header line followed by a part of a larger file that starts at a record
   * boundary: the header arrives as the first push() on its own, and the data after it is
   * numbered as the file numbers it (line and byte offset of its first byte), so errors name the
   * place in the whole file. Used to parse a file's parts in parallel.
   */
  continuation?: { line: number; byteOffset: number };
}

/** Receives a data record's fields in order, then the record's end. */
export interface FieldSink {
  /** Whether chunk() should get the chunk's bytes when it is ASCII (a copy the sink may keep). */
  readonly wantsBytes?: boolean;
  /**
   * Later span() calls point into `text` (a decoded piece of the input). `ascii`, when given, is
   * the same piece as bytes: the text is pure ASCII, so its indexes are byte indexes.
   */
  chunk(text: string, ascii: Uint8Array | undefined): void;
  /** The next field is `text.slice(start, end)` of the last chunk. */
  span(start: number, end: number): void;
  /** The next field, given whole (it had "" escapes or crossed a chunk boundary). */
  field(value: string): void;
  /**
   * Optional fast path for numeric data, which reads each number's characters once instead of
   * twice (to find the field's end, then to parse it). At the start of an unquoted field of an
   * ASCII chunk: where a number starting at `start` ends (at most `limit`), or -1 when the sink
   * does not take this field as a number. When a delimiter or line end is there, the scanner
   * calls numberSpan(start, end) for the field instead of span(). Used only with a delimiter
   * that cannot be part of a number.
   */
  numberAt?(bytes: Uint8Array, start: number, limit: number): number;
  numberSpan?(start: number, end: number): void;
  /** The record is complete; its field count matches the header. `line` is where it starts. */
  record(line: number): void;
}

/** Called once with the validated header; returns the sink for the data records. */
export type SinkFactory = (header: string[], line: number) => FieldSink;

/** Collects the header row's fields as strings. */
class HeaderSink implements FieldSink {
  text = "";
  fields: string[] = [];
  chunk(text: string, _ascii: Uint8Array | undefined): void {
    this.text = text;
  }
  span(start: number, end: number): void {
    this.fields.push(this.text.slice(start, end));
  }
  field(value: string): void {
    this.fields.push(value);
  }
  record(): void {}
}

/** The byte-level and character-level machinery, delivering fields to a sink. */
export class CsvScanner {
  private readonly delim: number;
  /** The delimiter cannot continue a number, so FieldSink.numberAt's end is the field's end. */
  private readonly numberDelimiter: boolean;
  private readonly makeSink: SinkFactory;
  private readonly adoptChunks: boolean;
  private continuation: { line: number; byteOffset: number } | undefined;
  private headerSink: HeaderSink | undefined = new HeaderSink();
  private sink: FieldSink;
  private headerRow: string[] | undefined;
  private headerLine = 0;
  private dataRows = 0;
  private failed: CsvError | undefined;
  private ended = false;

  // Byte-level state.
  private offset = 0; // where the next byte to decode (the first carried one, if any) is in the file
  private start: Uint8Array | undefined = new Uint8Array(0); // first bytes, until a BOM is ruled out
  private carry: Uint8Array = new Uint8Array(0); // an unfinished UTF-8 character
  private sawText = false;

  // Character-level state.
  private current = ""; // the chunk being scanned
  private currentBytes: Uint8Array | undefined; // ...as bytes, when it is ASCII
  private mode = FIELD_START;
  private nFields = 0; // fields of the current record so far
  private part = ""; // the current field's text from earlier chunks or before a "" escape
  private partActive = false;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private crPending = false; // a record ended on CR: skip an LF that follows
  private quotedPrevCR = false; // inside quotes, the last character was CR (CRLF counts as one line)

  constructor(options: CsvParserOptions, makeSink: SinkFactory) {
    const d = options.delimiter ?? ",";
    if (d.length !== 1 || d === '"' || d === "\r" || d === "\n" || d === "\0") {
      throw new RangeError(`the delimiter must be one character other than a quote, CR, LF or NUL, got ${JSON.stringify(d)}`);
    }
    this.delim = d.charCodeAt(0);
    this.numberDelimiter = !"0123456789.eE+-".includes(d);
    this.makeSink = makeSink;
    this.adoptChunks = options.adoptChunks === true;
    this.continuation = options.continuation;
    this.sink = this.headerSink!;
  }

  /** The header's column names, once the header row has been read. */
  get header(): readonly string[] | undefined {
    return this.headerRow;
  }

  /** The line the header is on (1 unless blank lines precede it). */
  get headerLineNumber(): number {
    return this.headerLine;
  }

  /** Data records completed so far. */
  get rowCount(): number {
    return this.dataRows;
  }

  /** Parses one more chunk, delivering the fields it holds. */
  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    if (this.ended) throw new Error("push after end()");
    this.guard(() => this.pushBytes(chunk));
  }

  /** Ends the input: delivers the last record and checks the file as a whole. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.ended) return;
    this.ended = true;
    this.guard(() => this.endInput());
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof CsvError) this.failed = err;
      throw err;
    }
  }

  private pushBytes(chunk: Uint8Array): void {
    if (this.continuation !== undefined && this.headerRow !== undefined) {
      // The first push after the header's: from here on, the whole file's numbering.
      if (this.carry.length > 0 || this.start !== undefined || this.mode !== FIELD_START || this.nFields > 0) {
        throw new Error("a continuation's header must be pushed on its own, ending with its line break");
      }
      this.line = this.continuation.line;
      this.recordLine = this.line;
      this.offset = this.continuation.byteOffset;
      this.crPending = false;
      this.continuation = undefined;
    }
    if (this.start !== undefined) {
      // Hold the first bytes until we know whether they are a BOM (EF BB BF), however split.
      const head = concat(this.start, chunk);
      if (head.length < 3) {
        this.start = head;
        return;
      }
      this.start = undefined;
      chunk = head;
      if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
        chunk = head.subarray(3);
        this.offset = 3;
      }
    }
    this.feed(chunk);
  }

  private feed(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.carry.length > 0) chunk = this.finishCarry(chunk);
    const tail = incompleteTail(chunk);
    this.decodeAndScan(chunk.subarray(0, chunk.length - tail));
    if (tail > 0) this.carry = chunk.slice(chunk.length - tail);
  }

  /** Completes the character split across chunks; returns the rest of `chunk`. */
  private finishCarry(chunk: Uint8Array): Uint8Array {
    // `offset` is where the carried bytes start in the file.
    const carry = this.carry;
    const need = sequenceLength(carry[0]!);
    const take = Math.min(need - carry.length, chunk.length);
    const piece = concat(carry, chunk.subarray(0, take));
    if (piece.length < need) {
      for (let k = 1; k < piece.length; k++) {
        if ((piece[k]! & 0xc0) !== 0x80) throw this.utf8Error(this.offset);
      }
      this.carry = piece;
      return new Uint8Array(0);
    }
    this.carry = new Uint8Array(0);
    const decoded = decodeUtf8(piece);
    if (decoded === undefined) throw this.utf8Error(this.offset);
    this.scan(decoded.text, undefined);
    this.offset += piece.length;
    return chunk.subarray(take);
  }

  /** `bytes` ends on a character boundary (or holds an invalid sequence). */
  private decodeAndScan(bytes: Uint8Array): void {
    const nul = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(0); // memchr
    const body = nul < 0 ? bytes : bytes.subarray(0, nul);
    const decoded = decodeUtf8(body);
    if (decoded === undefined) {
      const bad = firstInvalidUtf8(body);
      const prefix = body.subarray(0, bad);
      const valid = decodeUtf8(prefix)!;
      this.scan(valid.text, valid.ascii ? prefix : undefined);
      throw this.utf8Error(this.offset + bad);
    }
    this.scan(decoded.text, decoded.ascii ? body : undefined);
    if (nul >= 0) {
      throw new CsvError(`${this.here()}: the file contains a NUL byte (at byte offset ${this.offset + nul}); is it a binary file?`, {
        ...this.place(),
        byteOffset: this.offset + nul,
      });
    }
    this.offset += bytes.length;
  }

  private utf8Error(byteOffset: number): CsvError {
    return new CsvError(`${this.here()}: invalid UTF-8 at byte offset ${byteOffset}; save the file as UTF-8`, {
      ...this.place(),
      byteOffset,
    });
  }

  /** Where the scanner is now: the current line and field. */
  private place(): { line: number; column: number; columnName?: string } {
    return this.columnPlace(this.line, this.nFields + 1);
  }

  private here(): string {
    const p = this.place();
    return describePlace(p.line, p.column, p.columnName);
  }

  private columnPlace(line: number, column: number): { line: number; column: number; columnName?: string } {
    const columnName = this.headerRow?.[column - 1];
    return columnName === undefined ? { line, column } : { line, column, columnName };
  }

  private endInput(): void {
    if (this.start !== undefined) {
      // Fewer than 3 bytes in the whole file: no BOM possible.
      const head = this.start;
      this.start = undefined;
      this.feed(head);
    }
    if (this.carry.length > 0) throw this.utf8Error(this.offset);
    switch (this.mode) {
      case QUOTED: {
        const column = this.nFields + 1;
        throw new CsvError(
          `${describePlace(this.quoteLine, column, this.headerRow?.[column - 1])}: a quoted field is never closed (the file ends inside it)`,
          this.columnPlace(this.quoteLine, column),
        );
      }
      case AFTER_QUOTE:
      case UNQUOTED:
        // The field's text was moved into `part` when its chunk ended.
        this.emitText(this.part);
        this.endRecord();
        break;
      case FIELD_START:
        // A trailing delimiter on the last line ("a,b,") leaves one empty field to add.
        if (this.nFields > 0) {
          this.emitText("");
          this.endRecord();
        }
        break;
    }
    this.mode = FIELD_START;
    if (!this.sawText) throw new CsvError("the file is empty", { line: 1 });
    if (this.headerRow === undefined) throw new CsvError("the file has no header row: it holds only empty lines", { line: 1 });
    if (this.dataRows === 0) {
      throw new CsvError(`line ${this.headerLine}: the file has a header but no data rows`, { line: this.headerLine });
    }
  }

  private emitText(value: string): void {
    this.sink.field(value);
    this.nFields++;
    this.part = "";
    this.partActive = false;
  }

  /** The state machine over one decoded chunk. */
  private scan(s: string, ascii: Uint8Array | undefined): void {
    const n = s.length;
    if (n === 0) return;
    this.sawText = true;
    this.current = s;
    this.currentBytes = ascii;
    this.announce();
    const d = this.delim;
    let i = 0;
    let mode = this.mode;
    // The quoted field's current run of content is s[segStart, segEnd); earlier runs are in `part`.
    let segStart = 0;
    let segEnd = 0;
    if (this.crPending) {
      this.crPending = false;
      if (s.charCodeAt(0) === LF) i = 1;
    }
    while (i < n) {
      if (mode === QUOTED) {
        const q = s.indexOf('"', i);
        const end = q < 0 ? n : q;
        this.countQuotedBreaks(s, i, end);
        if (q < 0) {
          i = n;
          break;
        }
        segEnd = q;
        i = q + 1;
        mode = AFTER_QUOTE;
        continue;
      }
      if (mode === AFTER_QUOTE) {
        const c = s.charCodeAt(i);
        if (c === QUOTE) {
          this.part = (this.partActive ? this.part : "") + s.slice(segStart, segEnd) + '"';
          this.partActive = true;
          this.quotedPrevCR = false;
          segStart = i + 1;
          mode = QUOTED;
          i++;
          continue;
        }
        if (c === d || c === LF || c === CR) {
          if (this.partActive) this.emitText(this.part + s.slice(segStart, segEnd));
          else {
            this.sink.span(segStart, segEnd);
            this.nFields++;
          }
          mode = FIELD_START;
          if (c === d) i++;
          else {
            this.endRecord();
            i = this.lineBreak(s, i, c);
          }
          continue;
        }
        this.mode = mode;
        const column = this.nFields + 1;
        throw new CsvError(
          `${describePlace(this.line, column, this.headerRow?.[column - 1])}: unexpected ${JSON.stringify(s[i])} after the closing quote of a quoted field; a quote inside a quoted field must be doubled ("")`,
          this.columnPlace(this.line, column),
        );
      }
      // FIELD_START or UNQUOTED: scan to the next delimiter or line end.
      const start = i;
      if (mode === FIELD_START && s.charCodeAt(i) === QUOTE) {
        mode = QUOTED;
        this.quoteLine = this.line;
        this.quotedPrevCR = false;
        segStart = i + 1;
        i++;
        continue;
      }
      let j = i;
      let c = 0;
      if (ascii !== undefined) {
        const sink = this.sink;
        if (mode === FIELD_START && this.numberDelimiter && sink.numberAt !== undefined) {
          const end = sink.numberAt(ascii, i, n);
          if (end > i && end < n) {
            c = ascii[end]!;
            if (c === d || c === LF || c === CR) {
              sink.numberSpan!(i, end);
              this.nFields++;
              if (c === d) i = end + 1;
              else {
                this.endRecord();
                i = this.lineBreak(s, end, c);
              }
              continue;
            }
          }
        }
        // The same scan over the chunk's bytes: typed-array reads are cheaper than charCodeAt.
        while (j < n) {
          c = ascii[j]!;
          if (c === d || c === LF || c === CR) break;
          j++;
        }
      } else {
        while (j < n) {
          c = s.charCodeAt(j);
          if (c === d || c === LF || c === CR) break;
          j++;
        }
      }
      if (j === n) {
        if (j > start) {
          this.part = (mode === UNQUOTED ? this.part : "") + s.slice(start, j);
          this.partActive = true;
          mode = UNQUOTED;
        }
        break;
      }
      if (mode === UNQUOTED) {
        this.emitText(this.part + s.slice(start, j));
        mode = FIELD_START;
      } else if (c === d || j > start || this.nFields > 0) {
        this.sink.span(start, j);
        this.nFields++;
      } else {
        // Nothing at all on the line: an empty line, skipped.
        i = this.lineBreak(s, j, c);
        continue;
      }
      if (c === d) i = j + 1;
      else {
        this.endRecord();
        i = this.lineBreak(s, j, c);
      }
    }
    // A quoted field continues in the next chunk: keep its text so far.
    if (mode === QUOTED) {
      this.part = (this.partActive ? this.part : "") + s.slice(segStart, n);
      this.partActive = true;
    } else if (mode === AFTER_QUOTE) {
      this.part = (this.partActive ? this.part : "") + s.slice(segStart, segEnd);
      this.partActive = true;
    }
    this.mode = mode;
  }

  /** Tells the sink which chunk later spans point into. The bytes are copied unless the caller gave its chunks away. */
  private announce(): void {
    const ascii = this.sink.wantsBytes === true ? this.currentBytes : undefined;
    const bytes = ascii === undefined || this.adoptChunks ? ascii : ascii.slice();
    this.sink.chunk(this.current, bytes);
  }

  /** Counts the line a record-ending CR, LF or CRLF at `i` ends; returns the index after it. */
  private lineBreak(s: string, i: number, c: number): number {
    this.line++;
    this.recordLine = this.line;
    if (c === LF) return i + 1;
    if (i + 1 < s.length) return s.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
    this.crPending = true;
    return i + 1;
  }

  /** Line breaks inside a quoted field still advance the physical line number. */
  private countQuotedBreaks(s: string, from: number, to: number): void {
    let prevCR = this.quotedPrevCR;
    let line = this.line;
    for (let k = from; k < to; k++) {
      const c = s.charCodeAt(k);
      if (c === CR) {
        line++;
        prevCR = true;
      } else {
        if (c === LF && !prevCR) line++;
        prevCR = false;
      }
    }
    this.line = line;
    this.quotedPrevCR = prevCR;
  }

  private endRecord(): void {
    const count = this.nFields;
    this.nFields = 0;
    if (this.headerSink !== undefined) {
      const header = checkHeader(this.headerSink.fields, this.recordLine);
      this.headerSink = undefined;
      this.headerRow = header;
      this.headerLine = this.recordLine;
      this.sink = this.makeSink([...header], this.recordLine);
      this.announce();
      return;
    }
    const expected = this.headerRow!.length;
    if (count !== expected) {
      const plural = (k: number, word: string) => `${k} ${word}${k === 1 ? "" : "s"}`;
      throw new CsvError(
        `line ${this.recordLine} has ${plural(count, "field")}, expected ${expected} (the header has ${plural(expected, "column")})`,
        { line: this.recordLine },
      );
    }
    this.dataRows++;
    this.sink.record(this.recordLine);
  }
}

function checkHeader(names: string[], line: number): string[] {
  const seen = new Map<string, number>();
  for (let k = 0; k < names.length; k++) {
    const name = names[k]!;
    if (name.trim() === "") {
      throw new CsvError(`line ${line}: column ${k + 1} of the header has an empty name; every column needs a name`, { line, column: k + 1 });
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new CsvError(`line ${line}: duplicate column name ${JSON.stringify(name)} (columns ${first + 1} and ${k + 1}); column names must be unique`, {
        line,
        column: k + 1,
        columnName: name,
      });
    }
    seen.set(name, k);
  }
  return names;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export interface CsvRecord {
  fields: string[];
  /** The physical line the record starts on (1-based; the header is line 1). */
  line: number;
}

/** Builds one string[] per record. */
class RecordSink implements FieldSink {
  out: CsvRecord[] = [];
  private text = "";
  private fields: string[] = [];
  chunk(text: string, _ascii: Uint8Array | undefined): void {
    this.text = text;
  }
  span(start: number, end: number): void {
    this.fields.push(this.text.slice(start, end));
  }
  field(value: string): void {
    this.fields.push(value);
  }
  record(line: number): void {
    this.out.push({ fields: this.fields, line });
    this.fields = [];
  }
}

/** The record-level parser: push chunks, get string[] records back. */
export class CsvParser {
  private readonly scanner: CsvScanner;
  private readonly records = new RecordSink();

  constructor(options: CsvParserOptions = {}) {
    this.scanner = new CsvScanner(options, () => this.records);
  }

  /** The header's column names, once the header row has been read. */
  get header(): readonly string[] | undefined {
    return this.scanner.header;
  }

  /** The line the header is on (1 unless blank lines precede it). */
  get headerLineNumber(): number {
    return this.scanner.headerLineNumber;
  }

  /** Data records returned so far. */
  get rowCount(): number {
    return this.scanner.rowCount;
  }

  /** Parses one more chunk; returns the data records it completed (the header is not one). */
  push(chunk: Uint8Array): CsvRecord[] {
    this.scanner.push(chunk);
    return this.take();
  }

  /** Ends the input: returns the last record and checks the file as a whole. */
  end(): CsvRecord[] {
    this.scanner.end();
    return this.take();
  }

  private take(): CsvRecord[] {
    const out = this.records.out;
    this.records.out = [];
    return out;
  }
}

/** Parses a whole CSV held in memory: the header and every data record. */
export function parseCsv(input: Uint8Array | string, options: CsvParserOptions = {}): { header: string[]; records: CsvRecord[] } {
  const parser = new CsvParser(options);
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const records = parser.push(bytes);
  for (const r of parser.end()) records.push(r);
  return { header: [...parser.header!], records };
}
