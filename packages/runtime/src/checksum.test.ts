import { describe, expect, it } from "vitest";
import { commonV1 } from "@dml/proto";
import {
  assertValidChecksum,
  checksumProblem,
  ChecksumVerifier,
  computeChecksum,
  crc32c,
  crc32cHex,
  crc32cImplementation,
  crc32cPortable,
  createChecksumHasher,
  formatChecksum,
  verifyChecksum,
} from "./checksum.js";
import { DmlError } from "./errors.js";

const { CHECKSUM_ALGORITHM_CRC32C: CRC32C, CHECKSUM_ALGORITHM_SHA256: SHA256, CHECKSUM_ALGORITHM_UNSPECIFIED: UNSPECIFIED } =
  commonV1.ChecksumAlgorithm;

const ascii = (s: string) => new TextEncoder().encode(s);
const filled = (length: number, f: (i: number) => number) => Uint8Array.from({ length }, (_, i) => f(i));

/** Bit-at-a-time CRC32C, straight from the definition: the reference the fast one must agree with. */
function crc32cReference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function pseudoRandom(length: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("crc32c", () => {
  // RFC 3720 (iSCSI) appendix B.4 vectors, and the common "check" value of the CRC catalogue.
  it.each([
    ["the empty input", new Uint8Array(0), "00000000"],
    ['"123456789"', ascii("123456789"), "e3069283"],
    ["32 bytes of zeros (RFC 3720)", new Uint8Array(32), "8a9136aa"],
    ["32 bytes of 0xff (RFC 3720)", new Uint8Array(32).fill(0xff), "62a8ab43"],
    ["32 incrementing bytes 0..31 (RFC 3720)", filled(32, (i) => i), "46dd794e"],
    ["32 decrementing bytes 31..0 (RFC 3720)", filled(32, (i) => 31 - i), "113fdb5c"],
    [
      "an iSCSI read PDU (RFC 3720)",
      Uint8Array.from([
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      ]),
      "d9963a56",
    ],
  ])("of %s is %s", (_, data, hex) => {
    expect(crc32cHex(crc32c(data))).toBe(hex);
  });

  it("agrees with the bitwise definition for every length 0..300 and every alignment", () => {
    const data = pseudoRandom(310);
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length + offset <= 300; length += 1) {
        const view = data.subarray(offset, offset + length);
        expect(crc32c(view), `offset ${offset} length ${length}`).toBe(crc32cReference(view));
      }
    }
  });

  it("continues over chunks: crc32c(b, crc32c(a)) === crc32c(a + b), whatever the split", () => {
    const data = pseudoRandom(100_000, 7);
    const whole = crc32c(data);
    for (const chunk of [1, 3, 64, 1000, 4093, 65_536]) {
      let crc = 0;
      for (let i = 0; i < data.length; i += chunk) crc = crc32c(data.subarray(i, i + chunk), crc);
      expect(crc, `chunks of ${chunk}`).toBe(whole);
    }
  });

  it("uses the native implementation on this platform (linux x64 has a binary)", () => {
    // Were the optional binary missing, uploads would silently checksum 4x slower.
    expect(crc32cImplementation).toBe(process.platform === "linux" && process.arch === "x64" ? "native" : crc32cImplementation);
  });

  it("native and portable agree on every length around the 64-byte switch, and when continuing", () => {
    const data = pseudoRandom(70_000, 11);
    for (let length = 0; length <= 200; length++) {
      const view = data.subarray(5, 5 + length);
      expect(crc32c(view), `length ${length}`).toBe(crc32cPortable(view));
    }
    let crc = 0;
    let portable = 0;
    for (let i = 0; i < data.length; i += 4093) {
      crc = crc32c(data.subarray(i, i + 4093), crc);
      portable = crc32cPortable(data.subarray(i, i + 4093), portable);
      expect(crc).toBe(portable);
    }
    expect(crc).toBe(crc32cReference(data));
  });

  it("works on Buffers at odd offsets inside a larger ArrayBuffer", () => {
    const data = pseudoRandom(5000, 99);
    const buf = Buffer.concat([Buffer.alloc(3), Buffer.from(data)]).subarray(3);
    expect(crc32c(buf)).toBe(crc32cReference(data));
  });
});

describe("Checksum messages", () => {
  it("computes CRC32C by default and SHA-256 on request, as lowercase hex", () => {
    expect(computeChecksum(ascii("123456789"))).toEqual({ algorithm: CRC32C, value: "e3069283" });
    expect(computeChecksum(ascii("abc"), SHA256)).toEqual({
      algorithm: SHA256,
      value: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    });
  });

  it("hashes incrementally with either algorithm", () => {
    const data = pseudoRandom(10_000, 3);
    for (const algorithm of [CRC32C, SHA256]) {
      const h = createChecksumHasher(algorithm);
      for (let i = 0; i < data.length; i += 777) h.update(data.subarray(i, i + 777));
      expect(h.digest()).toEqual(computeChecksum(data, algorithm));
    }
  });

  it("refuses an unspecified algorithm", () => {
    expect(() => createChecksumHasher(UNSPECIFIED)).toThrow(DmlError);
  });

  it.each([
    [undefined, "required"],
    [{ algorithm: UNSPECIFIED, value: "e3069283" }, "CRC32C or SHA256"],
    [{ algorithm: CRC32C, value: "E3069283" }, "8 lowercase hex digits"],
    [{ algorithm: CRC32C, value: "3069283" }, "8 lowercase hex digits"],
    [{ algorithm: SHA256, value: "e3069283" }, "64 lowercase hex digits"],
  ])("says what is wrong with %j", (checksum, problem) => {
    expect(checksumProblem(checksum)).toContain(problem);
    expect(() => assertValidChecksum(checksum)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("accepts well-formed checksums", () => {
    expect(checksumProblem({ algorithm: CRC32C, value: "e3069283" })).toBeUndefined();
    expect(checksumProblem(computeChecksum(ascii("x"), SHA256))).toBeUndefined();
  });

  it("verifyChecksum throws DATA_LOSS naming both values on a mismatch", () => {
    const data = ascii("123456789");
    expect(() => verifyChecksum(data, { algorithm: CRC32C, value: "e3069283" })).not.toThrow();
    const err = (() => {
      try {
        verifyChecksum(data, { algorithm: CRC32C, value: "00000000" }, "batch 3");
      } catch (e) {
        return e as DmlError;
      }
    })();
    expect(err?.code).toBe("DATA_LOSS");
    expect(err?.message).toBe("batch 3 fails its checksum: expected crc32c:00000000, got crc32c:e3069283");
  });

  it("ChecksumVerifier checks several expected checksums of different algorithms in one pass", () => {
    const data = pseudoRandom(3000, 5);
    const good = [computeChecksum(data), computeChecksum(data, SHA256)];
    const ok = new ChecksumVerifier(good);
    ok.update(data.subarray(0, 1000));
    ok.update(data.subarray(1000));
    expect(ok.mismatches()).toEqual([]);

    const bad = new ChecksumVerifier([good[0]!, { algorithm: SHA256, value: "0".repeat(64) }]);
    bad.update(data);
    expect(bad.mismatches()).toEqual([{ expected: { algorithm: SHA256, value: "0".repeat(64) }, actual: good[1] }]);
    expect(formatChecksum(good[0]!)).toMatch(/^crc32c:[0-9a-f]{8}$/);
  });
});
