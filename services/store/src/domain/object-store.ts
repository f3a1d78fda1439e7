// A store node's objects on its local disk: durable atomic writes, verified reads, quarantine of
// corrupt files, and recovery at start. No transport here; src/grpc maps this onto StoreService.
//
// Layout under the data dir:
//   objects/<2 hex>/<sha256(key)>.obj   durable objects (format: object-file.ts)
//   tmp/<uuid>.tmp                      writes in progress; emptied at start (a crash's leftovers)
//   quarantine/<name>.<time>-<rand>     files that failed a check, kept for a post-mortem, never served
//
// A write goes to tmp/ (same filesystem, so the rename is atomic), is verified (size and checksum
// of the received bytes), fsynced, renamed into objects/ and the directory fsynced: a crash at any
// point leaves either nothing visible or the whole object.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, open, readdir, rename, rm, statfs, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { storeV1, type commonV1 } from "@dml/proto";
import {
  assertValidChecksum,
  ChecksumVerifier,
  checksumsEqual,
  createChecksumHasher,
  DmlError,
  formatChecksum,
  STORE_CHUNK_BYTES,
  type Logger,
} from "@dml/runtime";
import { errnoCode, fsyncDir, mapDiskFull } from "./fs-durability.js";
import { KeyLock } from "./key-lock.js";
import { ObjectIndex, type IndexEntry } from "./object-index.js";
import {
  CorruptObjectError,
  encodeObjectPrefix,
  fanOutDir,
  MAX_HEADER_BYTES,
  OBJECT_FILE_NAME,
  objectFileName,
  payloadOffset,
  PREFIX_BYTES,
  readObjectHeader,
  type ObjectMeta,
} from "./object-file.js";
import { assertObjectKey } from "./object-key.js";

type Checksum = commonV1.Checksum;

/** What a writer declares before sending the bytes (PutObjectHeader, CopyObjectFromRequest). */
export interface PutInput {
  key: string;
  kind: storeV1.ObjectKind;
  size: number;
  /** Required; optional here only because proto messages make it so. */
  checksum?: Checksum | undefined;
}

export interface PutResult {
  meta: ObjectMeta;
  /** An identical object (same size and checksum) was already here; the new bytes were discarded. */
  alreadyExisted: boolean;
}

/** A read streams the object's info first, then its bytes. */
export type ReadPart = { info: ObjectMeta; chunk?: undefined } | { chunk: Buffer; info?: undefined };

export type HeadResult = { exists: true; meta: ObjectMeta } | { exists: false; corrupt: boolean };

export interface ObjectStoreOptions {
  dataDir: string;
  log: Logger;
  /** Bytes per chunk on reads (default 1 MiB, the StoreService's limit). */
  chunkBytes?: number;
}

const SCAN_CONCURRENCY = 16;
const KNOWN_KINDS = new Set(Object.values(storeV1.ObjectKind).filter((v) => typeof v === "number" && v >= 0));

export class ObjectStore {
  private readonly index = new ObjectIndex();
  private readonly locks = new KeyLock();
  private readonly objectsDir: string;
  private readonly tmpDir: string;
  private readonly quarantineDir: string;
  private readonly chunkBytes: number;
  private readonly log: Logger;
  /** Fan-out directories known to exist (and to be durable in objects/). */
  private readonly fanOutDirs = new Set<string>();

  private constructor(private readonly opts: ObjectStoreOptions) {
    this.objectsDir = join(opts.dataDir, "objects");
    this.tmpDir = join(opts.dataDir, "tmp");
    this.quarantineDir = join(opts.dataDir, "quarantine");
    this.chunkBytes = opts.chunkBytes ?? STORE_CHUNK_BYTES;
    this.log = opts.log;
  }

  /**
   * Opens the data dir: removes leftover temp files (partial writes of a crashed process), then
   * indexes every object file whose header is intact and whose length matches it; any other file
   * (truncated, garbled, foreign) is quarantined, so it is never listed or served.
   */
  static async open(opts: ObjectStoreOptions): Promise<ObjectStore> {
    const store = new ObjectStore(opts);
    for (const dir of [store.objectsDir, store.tmpDir, store.quarantineDir]) await mkdir(dir, { recursive: true });
    await fsyncDir(opts.dataDir);
    const removedTempFiles = await store.removeTempFiles();
    const quarantined = await store.scanObjects();
    opts.log.info({ ...store.stats(), removedTempFiles, quarantined, dataDir: opts.dataDir }, "object index loaded");
    return store;
  }

  stats(): { objects: number; bytes: number } {
    return this.index.stats();
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Writes an object from `chunks` (which must add up to input.size bytes and match
   * input.checksum) durably. An identical object already here drains `chunks` and resolves with
   * alreadyExisted; a different one throws ALREADY_EXISTS (objects are immutable).
   */
  async put(input: PutInput, chunks: AsyncIterable<Uint8Array>): Promise<PutResult> {
    const want = this.validatePut(input);
    const existing = this.index.get(want.key);
    if (existing) {
      const result = this.sameOrConflict(existing, want);
      for await (const _ of chunks); // the caller is still sending; the bytes are not needed
      return result;
    }
    return this.write(want, chunks);
  }

  /**
   * Validates a write and tells, without reading any byte, whether it is already done: the
   * identical object's result, or ALREADY_EXISTS for a different one; undefined when the bytes
   * are needed. CopyObjectFrom asks this before contacting the peer.
   */
  precheckPut(input: PutInput): PutResult | undefined {
    const want = this.validatePut(input);
    const existing = this.index.get(want.key);
    return existing ? this.sameOrConflict(existing, want) : undefined;
  }

  private async write(want: Omit<ObjectMeta, "createdAt">, chunks: AsyncIterable<Uint8Array>): Promise<PutResult> {
    await this.ensureSpace(want);
    const tmpPath = join(this.tmpDir, `${randomUUID()}.tmp`);
    let fh: FileHandle | undefined;
    try {
      fh = await open(tmpPath, "wx", 0o644);
      const meta = await this.writeTemp(fh, want, chunks);
      await fh.close();
      fh = undefined;
      return await this.commit(tmpPath, meta);
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await rm(tmpPath, { force: true }).catch(() => undefined);
      throw mapDiskFull(err, `writing ${want.key}`);
    }
  }

  private validatePut(input: PutInput): Omit<ObjectMeta, "createdAt"> {
    assertObjectKey(input.key);
    const checksum = assertValidChecksum(input.checksum);
    if (!Number.isSafeInteger(input.size) || input.size < 0) {
      throw new DmlError("INVALID_ARGUMENT", `size must be a non-negative integer, got ${input.size}`);
    }
    if (!KNOWN_KINDS.has(input.kind)) throw new DmlError("INVALID_ARGUMENT", `unknown object kind ${input.kind}`);
    return { key: input.key, kind: input.kind, size: input.size, checksum };
  }

  /** Fails early, before any byte is written, when the object cannot fit on the disk. */
  private async ensureSpace(want: Omit<ObjectMeta, "createdAt">): Promise<void> {
    const fs = await statfs(this.opts.dataDir);
    const free = fs.bavail * fs.bsize;
    const needed = want.size + PREFIX_BYTES + MAX_HEADER_BYTES;
    if (needed > free) {
      throw new DmlError("TOO_LARGE", `no space for ${want.key} on this store: ${want.size} bytes needed, ${free} free`, {
        reason: "disk_full",
      });
    }
  }

  /** Streams the payload into the temp file, checks size and checksum, then writes the header and fsyncs. */
  private async writeTemp(fh: FileHandle, want: Omit<ObjectMeta, "createdAt">, chunks: AsyncIterable<Uint8Array>): Promise<ObjectMeta> {
    // The payload goes after a header whose length is already known (createdAt is fixed-width);
    // the header is written last, with the time the object became complete.
    const dataOffset = payloadOffset(want);
    const hasher = createChecksumHasher(want.checksum.algorithm);
    let received = 0;
    for await (const chunk of chunks) {
      if (received + chunk.length > want.size) {
        throw new DmlError("INVALID_ARGUMENT", `${want.key}: received more than the declared size of ${want.size} bytes`);
      }
      hasher.update(chunk);
      await writeFully(fh, chunk, dataOffset + received);
      received += chunk.length;
    }
    if (received !== want.size) {
      throw new DmlError("INVALID_ARGUMENT", `${want.key}: received ${received} bytes, the header declared ${want.size}`);
    }
    const actual = hasher.digest();
    if (!checksumsEqual(actual, want.checksum)) {
      throw new DmlError(
        "DATA_LOSS",
        `${want.key}: the received bytes fail the checksum: declared ${formatChecksum(want.checksum)}, got ${formatChecksum(actual)}`,
      );
    }
    const meta: ObjectMeta = { ...want, createdAt: new Date().toISOString() };
    const prefix = encodeObjectPrefix(meta);
    if (prefix.length !== dataOffset) throw new Error(`header length changed (${prefix.length} != ${dataOffset})`);
    await writeFully(fh, prefix, 0);
    await fh.sync();
    const written = (await fh.stat()).size;
    if (written !== dataOffset + want.size) throw new Error(`temp file of ${want.key} has ${written} bytes, expected ${dataOffset + want.size}`);
    return meta;
  }

  /** Renames a complete, fsynced temp file into place, unless a concurrent write of the key won. */
  private commit(tmpPath: string, meta: ObjectMeta): Promise<PutResult> {
    return this.locks.with(meta.key, async () => {
      const existing = this.index.get(meta.key);
      if (existing) {
        await rm(tmpPath, { force: true });
        return this.sameOrConflict(existing, meta);
      }
      const name = objectFileName(meta.key);
      const dir = await this.ensureFanOutDir(fanOutDir(name));
      const path = join(dir, name);
      await rename(tmpPath, path);
      await fsyncDir(dir);
      this.index.set({ meta, path });
      this.log.debug({ key: meta.key, size: meta.size, checksum: formatChecksum(meta.checksum) }, "object stored");
      return { meta, alreadyExisted: false };
    });
  }

  private sameOrConflict(existing: IndexEntry, want: Omit<ObjectMeta, "createdAt">): PutResult {
    const same = existing.meta.size === want.size && checksumsEqual(existing.meta.checksum, want.checksum);
    if (!same) {
      throw new DmlError(
        "ALREADY_EXISTS",
        `${want.key} already exists with another content (${existing.meta.size} bytes, ${formatChecksum(existing.meta.checksum)}); objects are immutable`,
      );
    }
    return { meta: existing.meta, alreadyExisted: true };
  }

  private async ensureFanOutDir(name: string): Promise<string> {
    const dir = join(this.objectsDir, name);
    if (!this.fanOutDirs.has(name)) {
      await mkdir(dir, { recursive: true });
      await fsyncDir(this.objectsDir);
      this.fanOutDirs.add(name);
    }
    return dir;
  }

  // ---- reads ----------------------------------------------------------------------------------

  /**
   * Streams `key`: its info, then chunks of at most chunkBytes, verified against the recorded
   * checksum (and `expected`, when given) as they are read. The last chunk is held back until the
   * whole object has verified, so a corrupt object never reaches a reader complete. On corruption
   * the file is quarantined and DATA_LOSS thrown; a mismatch with `expected` alone (a stale copy)
   * throws DATA_LOSS and leaves the file alone. Absent: NOT_FOUND.
   */
  async *read(key: string, expected?: Checksum): AsyncGenerator<ReadPart> {
    assertObjectKey(key);
    if (expected) assertValidChecksum(expected, "expected_checksum");
    const entry = this.index.get(key);
    if (!entry) throw new DmlError("NOT_FOUND", `no object ${key} on this store`);
    const recorded = entry.meta.checksum;
    if (expected && expected.algorithm === recorded.algorithm && !checksumsEqual(expected, recorded)) {
      throw staleCopy(key, recorded, expected);
    }
    const file = await this.openEntry(entry);
    try {
      yield { info: file.meta };
      const verifier = new ChecksumVerifier(expected ? [recorded, expected] : [recorded]);
      let position = file.dataOffset;
      let remaining = file.meta.size;
      let last: Buffer | undefined;
      while (remaining > 0) {
        const length = Math.min(this.chunkBytes, remaining);
        const chunk = Buffer.allocUnsafe(length);
        const { bytesRead } = await file.fh.read(chunk, 0, length, position);
        if (bytesRead !== length) throw await this.quarantine(entry, `file shrank while being read at offset ${position}`);
        verifier.update(chunk);
        position += length;
        remaining -= length;
        if (remaining > 0) yield { chunk };
        else last = chunk;
      }
      const mismatches = verifier.mismatches();
      const corrupt = mismatches.find((m) => m.expected === recorded);
      if (corrupt) {
        throw await this.quarantine(entry, `bytes fail their checksum: recorded ${formatChecksum(recorded)}, read ${formatChecksum(corrupt.actual)}`);
      }
      if (mismatches.length > 0) throw staleCopy(key, mismatches[0]!.actual, mismatches[0]!.expected);
      if (last) yield { chunk: last };
    } finally {
      await file.fh.close();
    }
  }

  /** Opens an indexed object's file and checks its header against the index. */
  private async openEntry(entry: IndexEntry): Promise<{ fh: FileHandle; meta: ObjectMeta; dataOffset: number }> {
    let fh: FileHandle;
    try {
      fh = await open(entry.path, "r");
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw err;
      // Removed behind the store's back (or by a concurrent delete): it is not here any more.
      await this.locks.with(entry.meta.key, async () => {
        if (this.index.get(entry.meta.key) === entry) this.index.delete(entry.meta.key);
      });
      throw new DmlError("NOT_FOUND", `no object ${entry.meta.key} on this store`);
    }
    try {
      const { meta, dataOffset } = await readObjectHeader(fh, (await fh.stat()).size);
      if (meta.key !== entry.meta.key || meta.size !== entry.meta.size || !checksumsEqual(meta.checksum, entry.meta.checksum)) {
        throw new CorruptObjectError("header differs from the one indexed at start");
      }
      return { fh, meta, dataOffset };
    } catch (err) {
      await fh.close();
      if (err instanceof CorruptObjectError) throw await this.quarantine(entry, err.reason);
      throw err;
    }
  }

  /**
   * Whether this store holds `key`. With `verify`, re-reads the whole file; a corrupt one is
   * quarantined and reported as { exists: false, corrupt: true }.
   */
  async head(key: string, opts: { verify?: boolean } = {}): Promise<HeadResult> {
    const entry = this.index.get(assertObjectKey(key));
    if (!entry) return { exists: false, corrupt: false };
    if (!opts.verify) return { exists: true, meta: entry.meta };
    try {
      for await (const _ of this.read(key));
      return { exists: true, meta: entry.meta };
    } catch (err) {
      if (err instanceof DmlError && err.code === "DATA_LOSS") return { exists: false, corrupt: true };
      if (err instanceof DmlError && err.code === "NOT_FOUND") return { exists: false, corrupt: false };
      throw err;
    }
  }

  /** Up to `limit` objects under `prefix`, in key order, after key `after`; `more` when the listing goes on. */
  list(prefix: string, after: string | undefined, limit: number): { objects: ObjectMeta[]; more: boolean } {
    return this.index.list(prefix, after, limit);
  }

  // ---- deletes and quarantine -----------------------------------------------------------------

  /** Deletes `key`; false when there was nothing to delete. */
  async delete(key: string): Promise<boolean> {
    assertObjectKey(key);
    return this.locks.with(key, async () => {
      const entry = this.index.delete(key);
      if (!entry) return false;
      try {
        await unlink(entry.path);
      } catch (err) {
        if (errnoCode(err) !== "ENOENT") {
          this.index.set(entry);
          throw err;
        }
      }
      await fsyncDir(dirname(entry.path));
      this.log.debug({ key }, "object deleted");
      return true;
    });
  }

  /**
   * Moves a corrupt object's file aside so it is no longer listed or served, and returns the
   * DATA_LOSS error to throw. Does nothing to a newer object written under the same key meanwhile.
   */
  private async quarantine(entry: IndexEntry, reason: string): Promise<DmlError> {
    const key = entry.meta.key;
    await this.locks.with(key, async () => {
      if (this.index.get(key) !== entry) return;
      this.index.delete(key);
      await this.moveToQuarantine(entry.path, reason, key);
    });
    return new DmlError("DATA_LOSS", `${key} is corrupt on this store (${reason}); it was quarantined`, { key, reason });
  }

  private async moveToQuarantine(path: string, reason: string, key?: string): Promise<void> {
    const target = join(this.quarantineDir, `${basename(path)}.${Date.now()}-${randomBytes(3).toString("hex")}`);
    try {
      await rename(path, target);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return;
      throw err;
    }
    await fsyncDir(dirname(path));
    await fsyncDir(this.quarantineDir);
    this.log.warn({ key, reason, file: target }, "object quarantined");
  }

  // ---- start-up recovery ----------------------------------------------------------------------

  private async removeTempFiles(): Promise<number> {
    const names = await readdir(this.tmpDir);
    for (const name of names) await rm(join(this.tmpDir, name), { recursive: true, force: true });
    if (names.length > 0) this.log.info({ count: names.length }, "removed leftover temp files of interrupted writes");
    return names.length;
  }

  /** Indexes every valid object file; returns how many files were quarantined. */
  private async scanObjects(): Promise<number> {
    const files: Array<{ dir: string; name: string }> = [];
    for (const dirent of await readdir(this.objectsDir, { withFileTypes: true })) {
      const path = join(this.objectsDir, dirent.name);
      if (!dirent.isDirectory() || !/^[0-9a-f]{2}$/.test(dirent.name)) {
        this.log.warn({ path }, "ignoring an unexpected entry in the objects directory");
        continue;
      }
      this.fanOutDirs.add(dirent.name);
      for (const name of await readdir(path)) files.push({ dir: dirent.name, name });
    }
    let quarantined = 0;
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const { dir, name } = files[next++]!;
        const problem = await this.indexFile(dir, name);
        if (problem) {
          quarantined++;
          await this.moveToQuarantine(join(this.objectsDir, dir, name), problem);
        }
      }
    };
    await Promise.all(Array.from({ length: SCAN_CONCURRENCY }, worker));
    return quarantined;
  }

  /** Adds one object file to the index; returns why it is not a valid object instead. */
  private async indexFile(dir: string, name: string): Promise<string | undefined> {
    if (!OBJECT_FILE_NAME.test(name) || fanOutDir(name) !== dir) return "not an object file name";
    const path = join(this.objectsDir, dir, name);
    const fh = await open(path, "r");
    try {
      const { meta } = await readObjectHeader(fh, (await fh.stat()).size);
      if (objectFileName(meta.key) !== name) return `header key ${meta.key} does not hash to the file name`;
      this.index.set({ meta, path });
      return undefined;
    } catch (err) {
      if (err instanceof CorruptObjectError) return err.reason;
      throw err;
    } finally {
      await fh.close();
    }
  }
}

function staleCopy(key: string, recorded: Checksum, expected: Checksum): DmlError {
  return new DmlError(
    "DATA_LOSS",
    `${key} on this store is ${formatChecksum(recorded)}, the caller expected ${formatChecksum(expected)} (a stale copy)`,
    { key },
  );
}

/** fh.write may write less than asked; loops until all of `data` is at `position`. */
async function writeFully(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await fh.write(data, offset, data.length - offset, position + offset);
    offset += bytesWritten;
  }
}
