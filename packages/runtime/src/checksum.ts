// Checksums of stored objects (proto dml.common.v1.Checksum): CRC32C (Castagnoli) and SHA-256
// through node:crypto. Both are incremental, so a stream is verified as it passes.
//
// Node has no Castagnoli CRC built in (zlib's crc32 is the IEEE polynomial). CRC32C comes from
// @node-rs/crc32 (native, the CPU's crc32 instruction: ~4.6 GB/s here, against 1.2 GB/s for the
// slicing-by-16 TypeScript below), and from the TypeScript where that package has no binary for
// the platform. Every byte a store receives or serves is checksummed, so this was a tenth of the
// CPU of a replicated upload.
import { createRequire } from "node:module";
import { createHash, type Hash } from "node:crypto";
import { commonV1 } from "@dml/proto";
import { DmlError } from "./errors.js";

type Checksum = commonV1.Checksum;
const { ChecksumAlgorithm } = commonV1;

// ---- CRC32C ----------------------------------------------------------------------------------

const CASTAGNOLI_REFLECTED = 0x82f63b78;
const SLICES = 16;

/**
 * Slicing-by-16 tables: TABLES[k * 256 + b] is the CRC of byte b followed by k zero bytes, so 16
 * input bytes fold into the CRC with 16 independent lookups per step instead of 16 dependent ones.
 */
const TABLES: Int32Array = (() => {
  const t = new Int32Array(256 * SLICES);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < SLICES; k++) {
      const prev = t[(k - 1) * 256 + b]!;
      t[k * 256 + b] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

// Whole 32-bit words are read through an Int32Array view, which uses the platform's byte order;
// the word loop below assumes little-endian and big-endian machines take the byte loop.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Folds `data` into a running (pre-inverted) CRC state, byte at a time. */
function updateBytes(state: number, data: Uint8Array, from: number, to: number): number {
  const t = TABLES;
  let c = state;
  for (let i = from; i < to; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** Folds `data` into a running (pre-inverted) CRC state, 16 bytes per step where it can. */
function updateState(state: number, data: Uint8Array): number {
  const n = data.length;
  if (!LITTLE_ENDIAN || n < 64) return updateBytes(state, data, 0, n);
  const t = TABLES;
  // Bytes up to the first 4-byte boundary, then aligned words.
  let i = (4 - ((data.byteOffset) & 3)) & 3;
  let c = updateBytes(state, data, 0, i);
  const wordCount = (n - i) >>> 2;
  const words = new Int32Array(data.buffer, data.byteOffset + i, wordCount);
  const end = wordCount - (wordCount & 3);
  let w = 0;
  for (; w < end; w += 4) {
    const a = words[w]! ^ c;
    const b = words[w + 1]!;
    const d = words[w + 2]!;
    const e = words[w + 3]!;
    c =
      t[3840 + (a & 0xff)]! ^ t[3584 + ((a >>> 8) & 0xff)]! ^ t[3328 + ((a >>> 16) & 0xff)]! ^ t[3072 + (a >>> 24)]! ^
      t[2816 + (b & 0xff)]! ^ t[2560 + ((b >>> 8) & 0xff)]! ^ t[2304 + ((b >>> 16) & 0xff)]! ^ t[2048 + (b >>> 24)]! ^
      t[1792 + (d & 0xff)]! ^ t[1536 + ((d >>> 8) & 0xff)]! ^ t[1280 + ((d >>> 16) & 0xff)]! ^ t[1024 + (d >>> 24)]! ^
      t[768 + (e & 0xff)]! ^ t[512 + ((e >>> 8) & 0xff)]! ^ t[256 + ((e >>> 16) & 0xff)]! ^ t[e >>> 24]!;
  }
  i += w * 4;
  return updateBytes(c, data, i, n);
}

/** crc32c() in TypeScript: the fallback, and the reference the native one is tested against. */
export function crc32cPortable(data: Uint8Array, crc = 0): number {
  return ~updateState(~crc, data) >>> 0;
}

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

/** @node-rs/crc32's crc32c, or undefined when it cannot load here (no binary for the platform). */
function loadNativeCrc32c(): NativeCrc32c | undefined {
  if (process.env["DML_PORTABLE_CRC32C"] === "1") return undefined;
  try {
    const native = (createRequire(import.meta.url)("@node-rs/crc32") as { crc32c: NativeCrc32c }).crc32c;
    return native(new TextEncoder().encode("123456789")) >>> 0 === 0xe3069283 ? native : undefined; // the standard check value
  } catch {
    return undefined;
  }
}

const nativeCrc32c = loadNativeCrc32c();

/** Which implementation crc32c() uses: "native" or "portable". */
export const crc32cImplementation: "native" | "portable" = nativeCrc32c !== undefined ? "native" : "portable";

/**
 * CRC32C of `data` as an unsigned 32-bit number. Pass the result of the previous call as `crc`
 * to continue over the next chunk: crc32c(b, crc32c(a)) === crc32c(a + b).
 */
export function crc32c(data: Uint8Array, crc = 0): number {
  // The native call costs ~0.1 µs: below 64 bytes the TypeScript is as fast.
  return nativeCrc32c !== undefined && data.length >= 64 ? nativeCrc32c(data, crc) >>> 0 : crc32cPortable(data, crc);
}

/** 8 lowercase hex digits, the proto's text form of a CRC32C. */
export function crc32cHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, "0");
}

// ---- Checksum messages -----------------------------------------------------------------------

/** An incremental hasher for one algorithm: update over chunks, then digest once. */
export interface ChecksumHasher {
  readonly algorithm: commonV1.ChecksumAlgorithm;
  update(data: Uint8Array): void;
  /** The proto Checksum of everything passed to update(). Call once. */
  digest(): Checksum;
}

class Crc32cHasher implements ChecksumHasher {
  readonly algorithm = ChecksumAlgorithm.CHECKSUM_ALGORITHM_CRC32C;
  private crc = 0;
  update(data: Uint8Array): void {
    this.crc = crc32c(data, this.crc);
  }
  digest(): Checksum {
    return { algorithm: this.algorithm, value: crc32cHex(this.crc) };
  }
}

class Sha256Hasher implements ChecksumHasher {
  readonly algorithm = ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256;
  private readonly hash: Hash = createHash("sha256");
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Checksum {
    return { algorithm: this.algorithm, value: this.hash.digest("hex") };
  }
}

/** A hasher for `algorithm`; throws INVALID_ARGUMENT for UNSPECIFIED or an unknown value. */
export function createChecksumHasher(algorithm: commonV1.ChecksumAlgorithm): ChecksumHasher {
  switch (algorithm) {
    case ChecksumAlgorithm.CHECKSUM_ALGORITHM_CRC32C:
      return new Crc32cHasher();
    case ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256:
      return new Sha256Hasher();
    default:
      throw new DmlError("INVALID_ARGUMENT", `unsupported checksum algorithm ${commonV1.checksumAlgorithmToJSON(algorithm)}`);
  }
}

/** The Checksum of `data` (CRC32C unless another algorithm is asked for). */
export function computeChecksum(
  data: Uint8Array,
  algorithm: commonV1.ChecksumAlgorithm = ChecksumAlgorithm.CHECKSUM_ALGORITHM_CRC32C,
): Checksum {
  const hasher = createChecksumHasher(algorithm);
  hasher.update(data);
  return hasher.digest();
}

const HEX_DIGITS: Partial<Record<commonV1.ChecksumAlgorithm, number>> = {
  [ChecksumAlgorithm.CHECKSUM_ALGORITHM_CRC32C]: 8,
  [ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256]: 64,
};

/** Why `checksum` is not a well-formed Checksum message, or undefined when it is. */
export function checksumProblem(checksum: Checksum | undefined): string | undefined {
  if (!checksum) return "checksum is required";
  const digits = HEX_DIGITS[checksum.algorithm];
  if (digits === undefined) {
    return `checksum algorithm must be CRC32C or SHA256, got ${commonV1.checksumAlgorithmToJSON(checksum.algorithm)}`;
  }
  if (checksum.value.length !== digits || !/^[0-9a-f]+$/.test(checksum.value)) {
    return `${algorithmName(checksum.algorithm)} checksum value must be ${digits} lowercase hex digits, got ${JSON.stringify(checksum.value.slice(0, 80))}`;
  }
  return undefined;
}

/** Throws INVALID_ARGUMENT when `checksum` is missing or malformed. */
export function assertValidChecksum(checksum: Checksum | undefined, what = "checksum"): Checksum {
  const problem = checksumProblem(checksum);
  if (problem) throw new DmlError("INVALID_ARGUMENT", `${what}: ${problem}`);
  return checksum!;
}

export function checksumsEqual(a: Checksum, b: Checksum): boolean {
  return a.algorithm === b.algorithm && a.value === b.value;
}

/** "crc32c" or "sha256": the names used in logs, messages and the store's file headers. */
export function algorithmName(algorithm: commonV1.ChecksumAlgorithm): string {
  switch (algorithm) {
    case ChecksumAlgorithm.CHECKSUM_ALGORITHM_CRC32C:
      return "crc32c";
    case ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256:
      return "sha256";
    default:
      return commonV1.checksumAlgorithmToJSON(algorithm).toLowerCase();
  }
}

/** "crc32c:e3069283", for messages and logs. */
export function formatChecksum(checksum: Checksum): string {
  return `${algorithmName(checksum.algorithm)}:${checksum.value}`;
}

/**
 * Verifies a stream against one or more expected checksums (e.g. the recorded one and a caller's,
 * possibly of different algorithms) in one pass: one hasher per distinct algorithm.
 */
export class ChecksumVerifier {
  private readonly hashers = new Map<commonV1.ChecksumAlgorithm, ChecksumHasher>();

  constructor(readonly expected: readonly Checksum[]) {
    for (const c of expected) {
      if (!this.hashers.has(c.algorithm)) this.hashers.set(c.algorithm, createChecksumHasher(c.algorithm));
    }
  }

  update(data: Uint8Array): void {
    for (const h of this.hashers.values()) h.update(data);
  }

  private digest(): Map<commonV1.ChecksumAlgorithm, Checksum> {
    const out = new Map<commonV1.ChecksumAlgorithm, Checksum>();
    for (const [algorithm, h] of this.hashers) out.set(algorithm, h.digest());
    return out;
  }

  /** The expected checksums that the data did not match (empty when all match). Call once. */
  mismatches(): Array<{ expected: Checksum; actual: Checksum }> {
    const actual = this.digest();
    return this.expected
      .map((expected) => ({ expected, actual: actual.get(expected.algorithm)! }))
      .filter(({ expected, actual }) => !checksumsEqual(expected, actual));
  }
}

/** Throws DATA_LOSS unless `data` matches `expected`. */
export function verifyChecksum(data: Uint8Array, expected: Checksum, what = "data"): void {
  const actual = computeChecksum(data, expected.algorithm);
  if (!checksumsEqual(actual, expected)) {
    throw new DmlError("DATA_LOSS", `${what} fails its checksum: expected ${formatChecksum(expected)}, got ${formatChecksum(actual)}`, {
      expected: formatChecksum(expected),
      actual: formatChecksum(actual),
    });
  }
}
