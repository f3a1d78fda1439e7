// Typed arrays in a JSON model document: {"$f64": base64}, {"$f32": ...}, {"$i32": ...},
// {"$u8": ...} (little-endian bytes). A few bytes per tree node instead of a decimal string
// per number, and decoding never evaluates anything.

type Encoded = { $f64: string } | { $f32: string } | { $i32: string } | { $u8: string };

function b64(a: ArrayBufferView): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

function bytes(s: string): Buffer {
  return Buffer.from(s, "base64");
}

/** Copies into a fresh, aligned buffer (Buffer.from(base64) may share an unaligned pool). */
function aligned(buf: Buffer, bytesPer: number): ArrayBuffer {
  if (buf.byteLength % bytesPer !== 0) throw new Error("typed array data has a wrong length");
  const out = new ArrayBuffer(buf.byteLength);
  new Uint8Array(out).set(buf);
  return out;
}

/** Replaces typed arrays (deeply) by their tagged base64 form. */
export function encodeState(value: unknown): unknown {
  if (value instanceof Float64Array) return { $f64: b64(value) };
  if (value instanceof Float32Array) return { $f32: b64(value) };
  if (value instanceof Int32Array) return { $i32: b64(value) };
  if (value instanceof Uint8Array) return { $u8: b64(value) };
  if (Array.isArray(value)) return value.map(encodeState);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeState(v)]));
  }
  return value;
}

/** The inverse of encodeState. Plain data only: nothing in a document is ever executed. */
export function decodeState(value: unknown): unknown {
  // Already-decoded state (a fitted estimator's own state(), not yet serialized) passes through.
  if (ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(decodeState);
  if (value && typeof value === "object") {
    const o = value as Partial<Record<keyof Encoded extends never ? never : string, unknown>> & Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o[keys[0]!] === "string") {
      const s = o[keys[0]!] as string;
      switch (keys[0]) {
        case "$f64":
          return new Float64Array(aligned(bytes(s), 8));
        case "$f32":
          return new Float32Array(aligned(bytes(s), 4));
        case "$i32":
          return new Int32Array(aligned(bytes(s), 4));
        case "$u8":
          return new Uint8Array(bytes(s));
      }
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decodeState(v)]));
  }
  return value;
}
