// The on-disk format of one object: a self-describing file, so a read verifies the bytes with no
// outside information and a store rebuilds its index from its files alone.
//
//   offset 0   8 bytes   magic "DMLOBJ01" (format version 1)
//   offset 8   u32 LE    H, the header's length in bytes (at most 4096)
//   offset 12  u32 LE    CRC32C of the header bytes
//   offset 16  H bytes   header: UTF-8 JSON {"v":1,"key","kind","size","checksum":{"algorithm","value"},"createdAt"}
//   16 + H     size      the object's bytes
//   the file ends exactly at 16 + H + size (shorter = truncated, longer = garbage: both corrupt)
//
// The header travels in the same file as the bytes, so one rename makes both visible at once: no
// sidecar to fall out of step. Its own CRC catches a flipped header byte before any field is used;
// the payload is verified against header.checksum while it is read. JSON keeps the header readable
// with `head -c 600 FILE` during an incident.
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { commonV1, storeV1 } from "@dml/proto";
import { algorithmName, checksumProblem, crc32c } from "@dml/runtime";
import { objectKeyProblem } from "./object-key.js";

const MAGIC = Buffer.from("DMLOBJ01", "latin1");
export const PREFIX_BYTES = 16;
export const MAX_HEADER_BYTES = 4096;
/** new Date().toISOString() is always this long (years 0000-9999): the header's length is known before createdAt. */
const TIMESTAMP_PLACEHOLDER = "0000-00-00T00:00:00.000Z";

/** What a store records about an object, with it, in its file. */
export interface ObjectMeta {
  key: string;
  kind: storeV1.ObjectKind;
  size: number;
  checksum: commonV1.Checksum;
  /** RFC 3339, when this store made the object durable. */
  createdAt: string;
}

/** A file that is not a valid object file; the store quarantines it. */
export class CorruptObjectError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "CorruptObjectError";
  }
}

/** The file name of `key`: its SHA-256, so any valid key (up to 512 characters) fits a file name. */
export function objectFileName(key: string): string {
  return `${createHash("sha256").update(key).digest("hex")}.obj`;
}

/** Objects live in 256 subdirectories by the first two hex digits of their name. */
export function fanOutDir(fileName: string): string {
  return fileName.slice(0, 2);
}

export const OBJECT_FILE_NAME = /^[0-9a-f]{64}\.obj$/;

function headerJson(meta: ObjectMeta): string {
  return JSON.stringify({
    v: 1,
    key: meta.key,
    kind: storeV1.objectKindToJSON(meta.kind),
    size: meta.size,
    checksum: { algorithm: algorithmName(meta.checksum.algorithm), value: meta.checksum.value },
    createdAt: meta.createdAt,
  });
}

/** The magic, lengths, CRC and header: the first 16 + H bytes of the object's file. */
export function encodeObjectPrefix(meta: ObjectMeta): Buffer {
  const header = Buffer.from(headerJson(meta), "utf8");
  if (header.length > MAX_HEADER_BYTES) throw new Error(`object header of ${header.length} bytes exceeds ${MAX_HEADER_BYTES}`);
  const prefix = Buffer.alloc(PREFIX_BYTES + header.length);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, 8);
  prefix.writeUInt32LE(crc32c(header), 12);
  header.copy(prefix, PREFIX_BYTES);
  return prefix;
}

/** Where the payload starts for an object with these fields, before createdAt is known. */
export function payloadOffset(meta: Omit<ObjectMeta, "createdAt">): number {
  return PREFIX_BYTES + Buffer.byteLength(headerJson({ ...meta, createdAt: TIMESTAMP_PLACEHOLDER }), "utf8");
}

const ALGORITHMS: Record<string, commonV1.ChecksumAlgorithm> = {
  crc32c: commonV1.ChecksumAlgorithm.CHECKSUM_ALGORITHM_CRC32C,
  sha256: commonV1.ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256,
};

function parseHeader(json: string): ObjectMeta {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new CorruptObjectError("header is not JSON");
  }
  const cs = raw["checksum"] as Record<string, unknown> | undefined;
  const meta: ObjectMeta = {
    key: String(raw["key"]),
    kind: storeV1.objectKindFromJSON(raw["kind"]),
    size: raw["size"] as number,
    checksum: { algorithm: ALGORITHMS[String(cs?.["algorithm"])] ?? 0, value: String(cs?.["value"]) },
    createdAt: String(raw["createdAt"]),
  };
  const problem =
    (raw["v"] !== 1 && `unknown header version ${JSON.stringify(raw["v"])}`) ||
    (typeof raw["key"] !== "string" && "header has no key") ||
    objectKeyProblem(meta.key) ||
    (meta.kind === storeV1.ObjectKind.UNRECOGNIZED && "header has an unknown kind") ||
    (!(Number.isSafeInteger(meta.size) && meta.size >= 0) && "header has no valid size") ||
    checksumProblem(meta.checksum);
  if (problem) throw new CorruptObjectError(problem);
  return meta;
}

/**
 * Reads and checks the header of an object file of `fileSize` bytes. Throws CorruptObjectError
 * for anything but a complete, well-formed file (a truncated one included); the payload itself is
 * verified by whoever reads it.
 */
export async function readObjectHeader(fh: FileHandle, fileSize: number): Promise<{ meta: ObjectMeta; dataOffset: number }> {
  if (fileSize < PREFIX_BYTES) throw new CorruptObjectError(`file of ${fileSize} bytes is shorter than the object prefix`);
  const head = Buffer.alloc(Math.min(fileSize, PREFIX_BYTES + MAX_HEADER_BYTES));
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  if (bytesRead !== head.length) throw new CorruptObjectError(`short read of the header (${bytesRead} of ${head.length} bytes)`);
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new CorruptObjectError("bad magic: not an object file");
  const headerLength = head.readUInt32LE(8);
  if (headerLength > MAX_HEADER_BYTES || PREFIX_BYTES + headerLength > fileSize) {
    throw new CorruptObjectError(`bad header length ${headerLength}`);
  }
  const header = head.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength);
  if (crc32c(header) !== head.readUInt32LE(12)) throw new CorruptObjectError("header fails its CRC32C");
  const meta = parseHeader(header.toString("utf8"));
  const dataOffset = PREFIX_BYTES + headerLength;
  const expectedSize = dataOffset + meta.size;
  if (fileSize !== expectedSize) {
    throw new CorruptObjectError(
      fileSize < expectedSize
        ? `truncated: ${fileSize - dataOffset} of ${meta.size} bytes present`
        : `${fileSize - expectedSize} bytes beyond the object's end`,
    );
  }
  return { meta, dataOffset };
}
