// UTF-8 helpers for the CSV parser. Validation and decoding go through node:buffer's native
// (SIMD) routines; the hand-written scanner below only runs to locate an error for the message.
import { Buffer, isAscii, isUtf8 } from "node:buffer";

/** Bytes in the sequence a lead byte starts (1 for ASCII and for bytes that cannot lead). */
export function sequenceLength(lead: number): number {
  if (lead < 0xc2) return 1;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf5) return 4;
  return 1;
}

/**
 * How many bytes at the end of `bytes` start a multi-byte character that the next chunk must
 * finish (0 when the chunk ends on a character boundary, or when the tail is invalid anyway:
 * validation reports that).
 */
export function incompleteTail(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const b = bytes[n - k]!;
    if ((b & 0xc0) === 0x80) continue;
    return sequenceLength(b) > k ? k : 0;
  }
  return 0;
}

/** Index of the first byte of the first invalid sequence, or -1 when all of `bytes` is valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = sequenceLength(b);
    if (len === 1 || i + len > n) return i;
    const b1 = bytes[i + 1]!;
    // Second-byte ranges that exclude overlong forms, surrogates and code points past U+10FFFF.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k < len; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += len;
  }
  return -1;
}

/**
 * Decodes `bytes` when they are valid UTF-8, else returns undefined. Pure ASCII (the common case for
 * numeric data) becomes a one-byte string, the cheapest kind for V8 to scan and slice, and says so:
 * then string indexes are byte indexes.
 */
export function decodeUtf8(bytes: Uint8Array): { text: string; ascii: boolean } | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isAscii(buf)) return { text: buf.toString("latin1"), ascii: true };
  return isUtf8(buf) ? { text: buf.toString("utf8"), ascii: false } : undefined;
}
