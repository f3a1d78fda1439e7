// Rows for `dml predict`: one JSON row, or a CSV file with a header. CSV cells are typed by the
// model's feature types when they are known (so a numeric-looking category stays text), else
// guessed: numbers when numeric, true/false as booleans, empty as null.
import { UsageError } from "../args.js";

export type Row = Record<string, unknown>;
export type FeatureTypes = ReadonlyMap<string, string>;

export function parseRowFlag(text: string): Row {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--row must be a JSON object such as '{"a": 1, "b": "x"}': ${(err as Error).message}`);
  }
  if (typeof row !== "object" || row === null || Array.isArray(row)) throw new UsageError(`--row must be a JSON object of column -> value`);
  return row as Row;
}

/** RFC 4180 records: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      field = "";
      if (record.length > 1 || record[0] !== "") records.push(record);
      record = [];
    } else field += ch;
  }
  if (quoted) throw new UsageError("the CSV file ends inside a quoted field");
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function cellValue(text: string, type: string | undefined): unknown {
  const t = text.trim();
  if (t === "") return null;
  switch (type) {
    case "number":
    case "integer":
      return NUMBER.test(t) ? Number(t) : t; // the gateway names the row and column of a bad number
    case "boolean":
      return /^true$/i.test(t) ? true : /^false$/i.test(t) ? false : t;
    case "category":
    case "string":
      return text;
    default:
      if (NUMBER.test(t)) return Number(t);
      if (/^(true|false)$/i.test(t)) return t.toLowerCase() === "true";
      return text;
  }
}

/** CSV text with a header -> rows (column -> typed value). */
export function csvRows(text: string, types?: FeatureTypes): Row[] {
  const [header, ...records] = parseCsvRecords(text);
  if (!header) throw new UsageError("the CSV file is empty; it needs a header line");
  return records.map((cells, r) => {
    if (cells.length !== header.length) throw new UsageError(`CSV line ${r + 2}: ${cells.length} fields, the header has ${header.length}`);
    const row: Row = {};
    header.forEach((name, j) => (row[name] = cellValue(cells[j]!, types?.get(name))));
    return row;
  });
}
