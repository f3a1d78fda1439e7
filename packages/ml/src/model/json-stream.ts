// Streaming JSON for model documents, without ever building the document as one string.
//
// Writing: values are serialised piece by piece into ~64 KiB UTF-8 chunks; typed arrays become
// {"$f64"|"$f32"|"$i32"|"$u8": base64} (little-endian, the form of core/state.ts) and their base64
// is produced in slices. Non-finite numbers are written as the strings "Infinity", "-Infinity",
// "NaN" (proto3 JSON's form); readers convert them back where a number is expected.
//
// Reading: a strict JSON parser over bytes (a Buffer of the whole document, not a string). Tagged
// typed arrays are decoded straight from their bytes in slices. Plain data only: nothing is ever
// evaluated, "__proto__" keys are ordinary own properties, duplicate keys and deep nesting are
// refused.

const CHUNK = 64 * 1024;
const B64_SLICE = 48 * 1024; // bytes per base64 slice; a multiple of 3, so slices concatenate

export class JsonSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

type Tag = "$f64" | "$f32" | "$i32" | "$u8";

function tagOf(v: unknown): Tag | undefined {
  if (v instanceof Float64Array) return "$f64";
  if (v instanceof Float32Array) return "$f32";
  if (v instanceof Int32Array) return "$i32";
  if (v instanceof Uint8Array) return "$u8";
  return undefined;
}

function numberJson(v: number): string {
  if (Number.isFinite(v)) return JSON.stringify(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/** UTF-8 chunks of `value` as JSON (see the file comment for typed arrays and non-finite numbers). */
export function* jsonChunks(value: unknown, indentTopLevel = false): Generator<Uint8Array> {
  const enc = new TextEncoder();
  let buf = "";
  function* flush(force: boolean): Generator<Uint8Array> {
    if (buf.length >= CHUNK || (force && buf.length > 0)) {
      yield enc.encode(buf);
      buf = "";
    }
  }
  function* write(v: unknown, depth: number): Generator<Uint8Array> {
    if (v === null || v === undefined) {
      buf += "null";
    } else if (typeof v === "number") {
      buf += numberJson(v);
    } else if (typeof v === "boolean") {
      buf += v ? "true" : "false";
    } else if (typeof v === "string") {
      buf += JSON.stringify(v);
    } else if (ArrayBuffer.isView(v)) {
      const tag = tagOf(v);
      if (!tag) throw new TypeError(`cannot write a ${v.constructor.name} (only Float64Array, Float32Array, Int32Array, Uint8Array)`);
      buf += `{"${tag}":"`;
      for (let off = 0; off < v.byteLength; off += B64_SLICE) {
        buf += Buffer.from(v.buffer, v.byteOffset + off, Math.min(B64_SLICE, v.byteLength - off)).toString("base64");
        yield* flush(false);
      }
      buf += '"}';
    } else if (Array.isArray(v)) {
      buf += "[";
      for (let i = 0; i < v.length; i++) {
        if (i > 0) buf += ",";
        const x: unknown = v[i];
        // Fast path for primitives (no generator per element).
        if (typeof x === "number") buf += Number.isFinite(x) ? String(x) : numberJson(x);
        else if (typeof x === "string") buf += JSON.stringify(x);
        else if (typeof x === "boolean") buf += x ? "true" : "false";
        else if (x === null || x === undefined) buf += "null";
        else yield* write(x, depth + 1);
        if (buf.length >= CHUNK) yield* flush(false);
      }
      buf += "]";
    } else if (typeof v === "object") {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`cannot write a ${(v as object).constructor?.name ?? "object"} as JSON`);
      buf += "{";
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        if (!first) buf += ",";
        if (depth === 0 && indentTopLevel) buf += "\n";
        first = false;
        buf += JSON.stringify(k) + ":";
        yield* write(x, depth + 1);
        if (buf.length >= CHUNK) yield* flush(false);
      }
      if (depth === 0 && indentTopLevel && !first) buf += "\n";
      buf += "}";
    } else {
      throw new TypeError(`cannot write a ${typeof v} as JSON`);
    }
    yield* flush(false);
  }
  yield* write(value, 0);
  yield* flush(true);
}

const MAX_DEPTH = 256;
const B64 = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") B64[c.charCodeAt(0)] = 1;

/** Parses JSON bytes; {"$f64": base64} etc. become typed arrays. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const n = b.length;
  const fail = (m: string): never => {
    throw new JsonSyntaxError(`${m} at byte ${p}`);
  };
  const ws = () => {
    while (p < n) {
      const c = b[p]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
  };
  // Returns [start, end) of a string's content (p after the closing quote) and whether it has escapes.
  const stringSpan = (): [number, number, boolean] => {
    if (b[p] !== 0x22) fail("expected a string");
    const start = ++p;
    let esc = false;
    for (;;) {
      if (p >= n) fail("unterminated string");
      const c = b[p]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        esc = true;
        p += 2;
        continue;
      }
      if (c < 0x20) fail("control character in a string");
      p++;
    }
    const end = p++;
    return [start, end, esc];
  };
  const stringValue = (): string => {
    const [s, e, esc] = stringSpan();
    if (!esc) return b.toString("utf8", s, e);
    try {
      return JSON.parse(b.toString("utf8", s - 1, e + 1)) as string;
    } catch {
      return fail("bad escape in a string");
    }
  };
  const typed = (tag: Tag): ArrayBufferView => {
    const [s, e, esc] = stringSpan();
    if (esc) fail(`bad base64 in ${tag}`);
    const len = e - s;
    if (len % 4 !== 0) fail(`base64 of ${tag} has a length that is not a multiple of 4`);
    let pad = 0;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === 0x3d && i >= e - 2) pad++;
      else if (!B64[c] || pad > 0) fail(`bad base64 character in ${tag}`);
    }
    const byteLength = (len / 4) * 3 - pad;
    const per = tag === "$f64" ? 8 : tag === "$u8" ? 1 : 4;
    if (byteLength % per !== 0) fail(`${tag} data has ${byteLength} bytes, not a multiple of ${per}`);
    const out = new Uint8Array(byteLength);
    const SLICE = (B64_SLICE / 3) * 4;
    let w = 0;
    for (let i = s; i < e; i += SLICE) {
      const part = Buffer.from(b.toString("latin1", i, Math.min(e, i + SLICE)), "base64");
      out.set(part, w);
      w += part.length;
    }
    if (w !== byteLength) fail(`bad base64 in ${tag}`);
    switch (tag) {
      case "$f64":
        return new Float64Array(out.buffer);
      case "$f32":
        return new Float32Array(out.buffer);
      case "$i32":
        return new Int32Array(out.buffer);
      default:
        return out;
    }
  };
  const NUM = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    if (p >= n) fail("unexpected end of input");
    const c = b[p]!;
    if (c === 0x7b) {
      p++;
      const o: Record<string, unknown> = {};
      ws();
      if (b[p] === 0x7d) {
        p++;
        return o;
      }
      for (let i = 0; ; i++) {
        ws();
        const k = stringValue();
        ws();
        if (b[p] !== 0x3a) fail("expected ':'");
        p++;
        ws();
        let v: unknown;
        if (i === 0 && (k === "$f64" || k === "$f32" || k === "$i32" || k === "$u8") && b[p] === 0x22) {
          v = typed(k);
          ws();
          if (b[p] !== 0x7d) fail(`a ${k} object must have only that key`);
          p++;
          return v;
        }
        v = value(depth + 1);
        if (Object.prototype.hasOwnProperty.call(o, k)) fail(`duplicate key ${JSON.stringify(k)}`);
        Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (b[p] === 0x2c) {
          p++;
          continue;
        }
        if (b[p] === 0x7d) {
          p++;
          return o;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === 0x5b) {
      p++;
      const a: unknown[] = [];
      ws();
      if (b[p] === 0x5d) {
        p++;
        return a;
      }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (b[p] === 0x2c) {
          p++;
          continue;
        }
        if (b[p] === 0x5d) {
          p++;
          return a;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === 0x22) return stringValue();
    if (b.toString("latin1", p, p + 4) === "true") {
      p += 4;
      return true;
    }
    if (b.toString("latin1", p, p + 5) === "false") {
      p += 5;
      return false;
    }
    if (b.toString("latin1", p, p + 4) === "null") {
      p += 4;
      return null;
    }
    const s = p;
    // Fast path: a small non-negative or negative integer.
    {
      let q = p;
      const neg = b[q] === 0x2d;
      if (neg) q++;
      let v = 0;
      const d0 = q;
      while (q < n && b[q]! >= 0x30 && b[q]! <= 0x39 && q - d0 < 15) v = v * 10 + (b[q++]! - 0x30);
      const next = q < n ? b[q]! : 0x20;
      if (q > d0 && !(b[d0] === 0x30 && q - d0 > 1) && next !== 0x2e && next !== 0x65 && next !== 0x45 && !(next >= 0x30 && next <= 0x39)) {
        p = q;
        return neg ? -v : v;
      }
    }
    while (p < n) {
      const d = b[p]!;
      if ((d >= 0x30 && d <= 0x39) || d === 0x2d || d === 0x2b || d === 0x2e || d === 0x65 || d === 0x45) p++;
      else break;
    }
    const text = b.toString("latin1", s, p);
    if (!NUM.test(text)) {
      p = s;
      fail("unexpected character");
    }
    return Number(text);
  };
  // Skip a UTF-8 byte order mark.
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) p = 3;
  const v = value(0);
  ws();
  if (p !== n) fail("unexpected data after the document");
  return v;
}
