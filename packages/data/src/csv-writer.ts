// Batches back to RFC 4180 CSV: header once, LF line ends, quotes only where needed, missing
// values as empty cells, numbers in a form our parser reads back as the same value and type
// (integers in full, doubles shortest with ".0" on whole numbers, inf/-inf), true/false.
// One batch becomes one string, so a download streams batch by batch.
import type { Data } from "apache-arrow";
import { boolValue, int64Text, int64Words, isValid, physicalOf, readStream, utf8Values } from "./arrow.js";
import { DataError } from "./errors.js";
import { floatCsvText } from "./format.js";

export interface CsvWriterOptions {
  /** One character (default ","). */
  delimiter?: string;
}

export class CsvWriter {
  private readonly names: readonly string[];
  private readonly delimiter: string;
  private readonly needsQuotes: RegExp;

  constructor(names: readonly string[], options: CsvWriterOptions = {}) {
    this.names = [...names];
    this.delimiter = options.delimiter ?? ",";
    if (this.delimiter.length !== 1 || /["\r\n]/.test(this.delimiter)) throw new RangeError(`bad delimiter ${JSON.stringify(this.delimiter)}`);
    this.needsQuotes = new RegExp(`["\\r\\n${this.delimiter.replace(/[\\\]^-]/g, "\\$&")}]`);
  }

  /** The header line. */
  header(): string {
    return `${this.names.map((n) => this.field(n)).join(this.delimiter)}\n`;
  }

  /** The rows of one IPC stream (usually one batch), each ending in LF. */
  batch(ipc: Uint8Array): string {
    const { names, batches } = readStream(ipc);
    if (names.length !== this.names.length || names.some((n, j) => n !== this.names[j])) {
      throw new DataError(`the batch's columns (${names.join(", ")}) are not the dataset's (${this.names.join(", ")})`);
    }
    // A one-column row whose value is missing would be an empty line, which parsers skip: write "".
    const missing = this.names.length === 1 ? '""' : "";
    let out = "";
    for (const batch of batches) {
      const columns = batch.data.children.map((data) => this.cells(data, missing));
      const d = this.delimiter;
      for (let i = 0; i < batch.numRows; i++) {
        let line = columns[0]![i]!;
        for (let j = 1; j < columns.length; j++) line += d + columns[j]![i]!;
        out += `${line}\n`;
      }
    }
    return out;
  }

  private cells(data: Data, missing: string): string[] {
    const n = data.length;
    const out = new Array<string>(n);
    switch (physicalOf(data.type)) {
      case "int64": {
        const words = int64Words(data);
        for (let i = 0; i < n; i++) out[i] = isValid(data, i) ? int64Text(words, i) : missing;
        return out;
      }
      case "float64": {
        const values = data.values as Float64Array;
        for (let i = 0; i < n; i++) out[i] = isValid(data, i) ? floatCsvText(values[data.offset + i]!) || missing : missing;
        return out;
      }
      case "bool":
        for (let i = 0; i < n; i++) out[i] = isValid(data, i) ? (boolValue(data, i) ? "true" : "false") : missing;
        return out;
      case "utf8": {
        const texts = utf8Values(data);
        for (let i = 0; i < n; i++) {
          const s = texts[i];
          out[i] = s === null || s === undefined ? missing : this.field(s);
        }
        return out;
      }
      default:
        throw new DataError(`cannot write a column of Arrow type ${String(data.type)} as CSV`);
    }
  }

  /** A field, quoted when it holds the delimiter, a quote or a line break. */
  field(s: string): string {
    return this.needsQuotes.test(s) ? `"${s.replace(/"/g, '""')}"` : s === "" && this.names.length === 1 ? '""' : s;
  }
}
