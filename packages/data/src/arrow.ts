// Typed columns <-> Arrow IPC streams. Buffers are built directly (no per-value Arrow builder calls)
// and read directly, which is what makes ingest and download fast.
import { Buffer, isAscii } from "node:buffer";
import {
  Bool,
  type Data,
  type DataType,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  tableFromIPC,
  Type,
  Utf8,
} from "apache-arrow";
import { DataError } from "./errors.js";
import { type DatasetSchema, physicalType, type PhysicalType } from "./schema.js";
import type { TypedColumn } from "./typed-column.js";

const TWO_32 = 4294967296;

export function arrowType(p: PhysicalType): DataType {
  switch (p) {
    case "int64":
      return new Int64();
    case "float64":
      return new Float64();
    case "bool":
      return new Bool();
    case "utf8":
      return new Utf8();
  }
}

/** The Arrow schema every batch of a dataset with this schema carries: names and physical types, all nullable. */
export function arrowSchema(schema: DatasetSchema): Schema {
  return new Schema(schema.map((c) => new Field(c.name, arrowType(physicalType(c.type)), true)));
}

/** Encodes columns as a standalone IPC stream: the schema message and one record batch. */
export function encodeBatch(schema: DatasetSchema, columns: readonly TypedColumn[], rows: number): Uint8Array {
  return writeStream(arrowSchema(schema), [{ children: columns.map(columnData), rows }]);
}

/** An IPC stream of record batches given as column data. */
export function writeStream(schema: Schema, batches: readonly { children: Data[]; rows: number }[]): Uint8Array {
  const records = batches.map(({ children, rows }) => {
    const data = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children });
    return new RecordBatch(schema, data);
  });
  return RecordBatchStreamWriter.writeAll(records).toUint8Array(true);
}

export function columnData(col: TypedColumn): Data {
  const length = col.length;
  const nullCount = col.nullCount;
  const nullBitmap = nullCount === 0 ? undefined : packBits(col.valid, length);
  switch (col.physical) {
    case "float64":
      return makeData({ type: new Float64(), length, nullCount, nullBitmap, data: col.numbers! });
    case "bool":
      return makeData({ type: new Bool(), length, nullCount, nullBitmap, data: packNumbersAsBits(col.numbers!, length) });
    case "int64":
      return makeData({ type: new Int64(), length, nullCount, nullBitmap, data: int64Values(col) });
    case "utf8": {
      const { offsets, bytes } = utf8Buffers(col.texts!, length);
      return makeData({ type: new Utf8(), length, nullCount, nullBitmap, valueOffsets: offsets, data: bytes });
    }
  }
}

function packBits(flags: Uint8Array, length: number): Uint8Array {
  const bits = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) if (flags[i] === 1) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

function packNumbersAsBits(values: Float64Array, length: number): Uint8Array {
  const bits = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) if (values[i] === 1) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

function int64Values(col: TypedColumn): BigInt64Array {
  const out = new BigInt64Array(col.length);
  // Writing 32-bit halves avoids a BigInt allocation per value (little-endian, like Arrow's IPC).
  const words = new Int32Array(out.buffer);
  const numbers = col.numbers!;
  for (let i = 0; i < col.length; i++) {
    const v = numbers[i]!;
    if (v === 0) continue;
    const hi = Math.floor(v / TWO_32);
    words[2 * i] = (v - hi * TWO_32) | 0;
    words[2 * i + 1] = hi;
  }
  if (col.bigs !== undefined) for (const [i, b] of col.bigs) out[i] = b;
  return out;
}

function utf8Buffers(texts: readonly (string | null)[], length: number): { offsets: Int32Array; bytes: Uint8Array } {
  // One encode of the joined column; ASCII (byte length = string length) needs no per-value sizes.
  const joined = texts.join("");
  const buf = Buffer.from(joined, "utf8");
  if (buf.length > 0x7fffffff) throw new DataError("a text column holds more than 2 GiB in one batch; use smaller batches");
  const offsets = new Int32Array(length + 1);
  const ascii = buf.length === joined.length;
  let at = 0;
  for (let i = 0; i < length; i++) {
    const s = texts[i];
    if (s !== null && s !== undefined) at += ascii ? s.length : Buffer.byteLength(s, "utf8");
    offsets[i + 1] = at;
  }
  return { offsets, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.length) };
}

/** The physical type of an Arrow column we wrote, or undefined for types we never write. */
export function physicalOf(type: DataType): PhysicalType | undefined {
  switch (type.typeId) {
    case Type.Int:
      return (type as Int64).bitWidth === 64 && (type as Int64).isSigned ? "int64" : undefined;
    case Type.Float:
      return (type as Float64).precision === 2 ? "float64" : undefined;
    case Type.Bool:
      return "bool";
    case Type.Utf8:
      return "utf8";
    default:
      return undefined;
  }
}

export interface DecodedBatches {
  names: string[];
  /** Physical type per column (undefined: a type this library does not write). */
  types: (PhysicalType | undefined)[];
  schema: Schema;
  batches: RecordBatch[];
}

/** Decodes an IPC stream (one or more record batches). */
export function readStream(ipc: Uint8Array): DecodedBatches {
  const table = tableFromIPC(ipc);
  const fields = table.schema.fields;
  return { names: fields.map((f) => f.name), types: fields.map((f) => physicalOf(f.type)), schema: table.schema, batches: table.batches };
}

/** Whether row `i` of `data` holds a value. */
export function isValid(data: Data, i: number): boolean {
  if (data.nullCount === 0) return true;
  const bitmap = data.nullBitmap;
  if (bitmap === undefined || bitmap.length === 0) return true;
  const k = data.offset + i;
  return (bitmap[k >> 3]! & (1 << (k & 7))) !== 0;
}

/** 32-bit halves of an int64 column's values (index 2i: low, 2i+1: high). */
export function int64Words(data: Data): Int32Array {
  const values = data.values as BigInt64Array;
  return new Int32Array(values.buffer, values.byteOffset + data.offset * 8, data.length * 2);
}

/** An int64 as a double (exact within ±2^53; rounded beyond, as Number(bigint) would). */
export function int64Number(words: Int32Array, i: number): number {
  return words[2 * i + 1]! * TWO_32 + (words[2 * i]! >>> 0);
}

/** An int64's exact decimal text. */
export function int64Text(words: Int32Array, i: number): string {
  const hi = words[2 * i + 1]!;
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * TWO_32 + (words[2 * i]! >>> 0)); // |v| < 2^53: exact
  return ((BigInt(hi) << 32n) + BigInt(words[2 * i]! >>> 0)).toString();
}

/** A bool column's value bit. */
export function boolValue(data: Data, i: number): boolean {
  const k = data.offset + i;
  return ((data.values as Uint8Array)[k >> 3]! & (1 << (k & 7))) !== 0;
}

/** A utf8 column's values in rows [from, to) (null where missing); one decode of the whole buffer when it is ASCII. */
export function utf8Values(data: Data, from = 0, to = data.length): (string | null)[] {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const whole = to - from > 64 && isAscii(buf) ? buf.toString("latin1") : undefined;
  const out = new Array<string | null>(to - from);
  for (let i = from; i < to; i++) {
    if (!isValid(data, i)) {
      out[i - from] = null;
      continue;
    }
    const k = data.offset + i;
    const start = offsets[k]!;
    const end = offsets[k + 1]!;
    out[i - from] = whole !== undefined ? whole.slice(start, end) : buf.toString("utf8", start, end);
  }
  return out;
}
