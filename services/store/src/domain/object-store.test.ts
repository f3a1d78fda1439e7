// The ObjectStore on a temp dir, without gRPC: atomic writes, verified reads, quarantine,
// immutability, listing, and recovery of a data dir left by a crash.
import { mkdtemp, mkdir, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commonV1, storeV1 } from "@dml/proto";
import { computeChecksum, createLogger, DmlError } from "@dml/runtime";
import { fanOutDir, objectFileName } from "./object-file.js";
import { ObjectStore, type PutInput, type ReadPart } from "./object-store.js";

const { CHECKSUM_ALGORITHM_SHA256: SHA256 } = commonV1.ChecksumAlgorithm;
const BATCH = storeV1.ObjectKind.OBJECT_KIND_BATCH;
const log = createLogger({ service: "store", node: "test", level: "silent" });
const CHUNK = 1000;

let dataDir: string;
let store: ObjectStore;

const open = () => ObjectStore.open({ dataDir, log, chunkBytes: CHUNK });

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "dml-object-store-"));
  store = await open();
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function* chunksOf(data: Uint8Array, size = 700): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

function inputFor(key: string, data: Uint8Array, overrides: Partial<PutInput> = {}): PutInput {
  return { key, kind: BATCH, size: data.length, checksum: computeChecksum(data), ...overrides };
}

const put = (key: string, data: Uint8Array, overrides: Partial<PutInput> = {}) => store.put(inputFor(key, data, overrides), chunksOf(data));

async function readAll(s: ObjectStore, key: string, expected?: commonV1.Checksum): Promise<{ parts: ReadPart[]; data: Buffer }> {
  const parts: ReadPart[] = [];
  for await (const part of s.read(key, expected)) parts.push(part);
  return { parts, data: Buffer.concat(parts.flatMap((p) => (p.chunk ? [p.chunk] : []))) };
}

/** Runs `fn` and returns the DmlError it throws (failing the test if it throws nothing else). */
async function dmlError(fn: () => Promise<unknown>): Promise<DmlError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DmlError);
    return err as DmlError;
  }
  throw new Error("expected a DmlError, nothing was thrown");
}

/** Collects a read, keeping what arrived before it failed. */
async function readUntilError(key: string, expected?: commonV1.Checksum): Promise<{ parts: ReadPart[]; error: DmlError }> {
  const parts: ReadPart[] = [];
  const error = await dmlError(async () => {
    for await (const part of store.read(key, expected)) parts.push(part);
  });
  return { parts, error };
}

const objectPath = (key: string) => {
  const name = objectFileName(key);
  return join(dataDir, "objects", fanOutDir(name), name);
};

async function flipByte(path: string, fromEnd: number): Promise<void> {
  const file = await readFile(path);
  file[file.length - fromEnd]! ^= 0x01;
  await writeFile(path, file);
}

const listKeys = (prefix = "") => store.list(prefix, undefined, 10_000).objects.map((o) => o.key);

describe("ObjectStore writes", () => {
  it("stores an object in one self-describing file and streams it back in chunks", async () => {
    const data = bytes(4321);
    const { meta, alreadyExisted } = await put("datasets/d1/batch-000000.arrow", data);
    expect(alreadyExisted).toBe(false);
    expect(meta).toMatchObject({ key: "datasets/d1/batch-000000.arrow", kind: BATCH, size: 4321, checksum: computeChecksum(data) });
    expect(Date.parse(meta.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const { parts, data: back } = await readAll(store, "datasets/d1/batch-000000.arrow");
    expect(parts[0]).toEqual({ info: meta });
    expect(parts.slice(1).map((p) => p.chunk!.length)).toEqual([1000, 1000, 1000, 1000, 321]);
    expect(back.equals(data)).toBe(true);

    const file = await readFile(objectPath("datasets/d1/batch-000000.arrow"));
    expect(file.subarray(0, 8).toString()).toBe("DMLOBJ01");
    expect(file.subarray(16).toString("latin1")).toContain('"key":"datasets/d1/batch-000000.arrow"');
    expect(file.subarray(file.length - 4321).equals(data)).toBe(true);
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
  });

  it("stores empty objects and SHA-256-checksummed ones", async () => {
    await put("empty", Buffer.alloc(0));
    expect((await readAll(store, "empty")).parts).toHaveLength(1);
    const data = bytes(2500, 2);
    await put("sha", data, { checksum: computeChecksum(data, SHA256) });
    expect((await readAll(store, "sha")).data.equals(data)).toBe(true);
  });

  it("is immutable: an identical put reports alreadyExisted, a different one ALREADY_EXISTS", async () => {
    const data = bytes(3000);
    const first = await put("k", data);
    const again = await put("k", data);
    expect(again).toEqual({ meta: first.meta, alreadyExisted: true });
    const other = bytes(3000, 9);
    expect((await dmlError(() => put("k", other))).code).toBe("ALREADY_EXISTS");
    expect((await readAll(store, "k")).data.equals(data)).toBe(true);
  });

  it("concurrent puts of one key: one writes, the identical other reports alreadyExisted, a different one fails", async () => {
    const data = bytes(5000);
    const results = await Promise.all([put("k", data), put("k", data)]);
    expect(results.map((r) => r.alreadyExisted).sort()).toEqual([false, true]);
    const [a, b] = await Promise.allSettled([put("j", data), put("j", bytes(5000, 3))]);
    const outcomes = [a, b].map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as DmlError).code)).sort();
    expect(outcomes).toEqual(["ALREADY_EXISTS", "ok"]);
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
  });

  it.each([
    ["fewer bytes than declared", (d: Buffer) => d.subarray(0, 2000), "INVALID_ARGUMENT", /received 2000 bytes, the header declared 3000/],
    ["more bytes than declared", (d: Buffer) => Buffer.concat([d, d]), "INVALID_ARGUMENT", /more than the declared size/],
    ["bytes that fail the checksum", (d: Buffer) => Buffer.from(d).fill(7, 10, 11), "DATA_LOSS", /fail the checksum/],
  ])("refuses %s and leaves nothing behind", async (_, mangle, code, message) => {
    const data = bytes(3000);
    const err = await dmlError(() => store.put(inputFor("bad", data), chunksOf(mangle(data))));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
    expect(listKeys()).toEqual([]);
    expect(await store.head("bad")).toEqual({ exists: false, corrupt: false });
  });

  it("cleans up when the sender fails mid-stream", async () => {
    async function* failing(): AsyncIterable<Uint8Array> {
      yield bytes(500);
      throw new Error("connection reset");
    }
    await expect(store.put(inputFor("k", bytes(3000)), failing())).rejects.toThrow("connection reset");
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
    expect(listKeys()).toEqual([]);
  });

  it.each([
    ["a bad key", { key: "../escape" }, /invalid object key/],
    ["no checksum", { checksum: undefined }, /checksum is required/],
    ["a malformed checksum", { checksum: { algorithm: 1, value: "XYZ" } }, /8 lowercase hex digits/],
    ["a negative size", { size: -1 }, /size must be a non-negative integer/],
    ["an unknown kind", { kind: 42 as storeV1.ObjectKind }, /unknown object kind/],
  ])("refuses %s with INVALID_ARGUMENT", async (_, overrides, message) => {
    const err = await dmlError(() => store.put(inputFor("k", bytes(10), overrides), chunksOf(bytes(10))));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toMatch(message);
  });

  it("refuses an object larger than the free disk space before reading any byte (RESOURCE_EXHAUSTED)", async () => {
    let pulled = false;
    async function* never(): AsyncIterable<Uint8Array> {
      pulled = true;
      yield bytes(1);
    }
    const err = await dmlError(() => store.put(inputFor("huge", bytes(1), { size: 2 ** 52 }), never()));
    expect(err.code).toBe("TOO_LARGE"); // -> RESOURCE_EXHAUSTED
    expect(err.message).toMatch(/no space/);
    expect(pulled).toBe(false);
  });
});

describe("ObjectStore reads", () => {
  it("NOT_FOUND for an absent key, INVALID_ARGUMENT for a bad one", async () => {
    expect((await dmlError(() => readAll(store, "nope"))).code).toBe("NOT_FOUND");
    expect((await dmlError(() => readAll(store, "a//b"))).code).toBe("INVALID_ARGUMENT");
  });

  it("a flipped payload byte: DATA_LOSS before the last chunk, and the file is quarantined", async () => {
    const data = bytes(3500);
    await put("k", data);
    await flipByte(objectPath("k"), 100);
    const { parts, error } = await readUntilError("k");
    expect(error.code).toBe("DATA_LOSS");
    expect(error.message).toMatch(/fail their checksum.*quarantined/);
    // info + the first 3 chunks; the 4th (last) chunk was held back and never delivered.
    expect(parts).toHaveLength(4);
    expect(await store.head("k")).toEqual({ exists: false, corrupt: false });
    expect(listKeys()).toEqual([]);
    expect((await dmlError(() => readAll(store, "k"))).code).toBe("NOT_FOUND");
    expect(await readdir(join(dataDir, "quarantine"))).toEqual([expect.stringMatching(new RegExp(`^${objectFileName("k")}\\.`))]);
    // The key is free again: a good copy can be written (repair).
    await put("k", data);
    expect((await readAll(store, "k")).data.equals(data)).toBe(true);
  });

  it("a flipped header byte: DATA_LOSS before any byte is sent, and quarantined", async () => {
    await put("k", bytes(100));
    const file = await readFile(objectPath("k"));
    file[20]! ^= 0x20;
    await writeFile(objectPath("k"), file);
    const { parts, error } = await readUntilError("k");
    expect(parts).toEqual([]);
    expect(error.code).toBe("DATA_LOSS");
    expect(error.message).toMatch(/header fails its CRC32C/);
    expect(listKeys()).toEqual([]);
  });

  it("a file truncated behind the store's back: DATA_LOSS and quarantined", async () => {
    await put("k", bytes(3000));
    const path = objectPath("k");
    await truncate(path, (await readFile(path)).length - 10);
    expect((await readUntilError("k")).error.message).toMatch(/truncated/);
    expect(listKeys()).toEqual([]);
  });

  it("expected_checksum: a different one of the same algorithm is refused at once, without quarantine", async () => {
    const data = bytes(3000);
    await put("k", data);
    const stale = computeChecksum(bytes(3000, 5));
    const { parts, error } = await readUntilError("k", stale);
    expect(parts).toEqual([]);
    expect(error.code).toBe("DATA_LOSS");
    expect(error.message).toMatch(/stale copy/);
    expect(listKeys()).toEqual(["k"]);
    expect((await readAll(store, "k", computeChecksum(data))).data.equals(data)).toBe(true);
  });

  it("expected_checksum of another algorithm is verified while reading, without quarantine", async () => {
    const data = bytes(3000);
    await put("k", data);
    expect((await readAll(store, "k", computeChecksum(data, SHA256))).data.equals(data)).toBe(true);
    const { error } = await readUntilError("k", computeChecksum(bytes(3000, 5), SHA256));
    expect(error.code).toBe("DATA_LOSS");
    expect(error.message).toMatch(/stale copy/);
    expect(listKeys()).toEqual(["k"]);
  });

  it("refuses a malformed expected_checksum with INVALID_ARGUMENT", async () => {
    await put("k", bytes(10));
    expect((await readUntilError("k", { algorithm: 1, value: "nope" })).error.code).toBe("INVALID_ARGUMENT");
  });

  it("head with verify re-reads the bytes and reports (and quarantines) a corrupt object", async () => {
    await put("good", bytes(2000));
    await put("bad", bytes(2000, 2));
    await flipByte(objectPath("bad"), 1);
    expect(await store.head("good", { verify: true })).toMatchObject({ exists: true, meta: { key: "good", size: 2000 } });
    expect(await store.head("bad")).toMatchObject({ exists: true });
    expect(await store.head("bad", { verify: true })).toEqual({ exists: false, corrupt: true });
    expect(await store.head("bad")).toEqual({ exists: false, corrupt: false });
    expect(listKeys()).toEqual(["good"]);
  });

  it("a file deleted behind the store's back is NOT_FOUND, and dropped from the index", async () => {
    await put("k", bytes(10));
    await rm(objectPath("k"));
    expect((await dmlError(() => readAll(store, "k"))).code).toBe("NOT_FOUND");
    expect(listKeys()).toEqual([]);
  });
});

describe("ObjectStore deletes and listing", () => {
  it("deletes idempotently", async () => {
    await put("k", bytes(10));
    expect(await store.delete("k")).toBe(true);
    expect(await store.delete("k")).toBe(false);
    expect(listKeys()).toEqual([]);
    expect((await readdir(join(dataDir, "objects", fanOutDir(objectFileName("k")))))).toEqual([]);
    expect((await dmlError(() => store.delete("/abs"))).code).toBe("INVALID_ARGUMENT");
  });

  it("lists by prefix in key order, paged", async () => {
    for (const key of ["b/2", "a/1", "b/1", "b/10", "c", "b-x", "b/3"]) await put(key, bytes(5));
    expect(listKeys()).toEqual(["a/1", "b-x", "b/1", "b/10", "b/2", "b/3", "c"]);
    expect(listKeys("b/")).toEqual(["b/1", "b/10", "b/2", "b/3"]);
    expect(store.list("b/", undefined, 2)).toMatchObject({ objects: [{ key: "b/1" }, { key: "b/10" }], more: true });
    expect(store.list("b/", "b/10", 2)).toMatchObject({ objects: [{ key: "b/2" }, { key: "b/3" }], more: false });
    expect(store.list("b/", "b/3", 2)).toEqual({ objects: [], more: false });
    expect(listKeys("zzz")).toEqual([]);
    expect(store.stats()).toEqual({ objects: 7, bytes: 35 });
  });
});

describe("ObjectStore recovery at start", () => {
  it("rebuilds its index from the files", async () => {
    const data = bytes(2500);
    const { meta } = await put("datasets/d/batch-1", data);
    await put("models/m.json", bytes(10));
    const reopened = await open();
    expect(reopened.list("", undefined, 10).objects).toEqual([meta, expect.objectContaining({ key: "models/m.json" })]);
    expect((await readAll(reopened, "datasets/d/batch-1")).data.equals(data)).toBe(true);
  });

  it("removes leftover temp files and quarantines truncated, garbled or foreign files", async () => {
    await put("whole", bytes(3000));
    await put("truncated", bytes(3000, 2));
    await put("garbled", bytes(3000, 3));
    await writeFile(join(dataDir, "tmp", "1234.tmp"), bytes(777));
    await truncate(objectPath("truncated"), 2000);
    const garbled = await readFile(objectPath("garbled"));
    garbled.write("XXXX", 0);
    await writeFile(objectPath("garbled"), garbled);
    await writeFile(join(dataDir, "objects", fanOutDir(objectFileName("whole")), "stray.txt"), "hello");
    // A valid object file under another key's name (copied by hand, say).
    const misplacedName = objectFileName("misplaced");
    await mkdir(join(dataDir, "objects", fanOutDir(misplacedName)), { recursive: true });
    await writeFile(join(dataDir, "objects", fanOutDir(misplacedName), misplacedName), await readFile(objectPath("whole")));

    const reopened = await open();
    expect(reopened.list("", undefined, 10).objects.map((o) => o.key)).toEqual(["whole"]);
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
    expect(await readdir(join(dataDir, "quarantine"))).toHaveLength(4);
    expect(await reopened.head("truncated")).toEqual({ exists: false, corrupt: false });
    expect((await dmlError(() => readAll(reopened, "garbled"))).code).toBe("NOT_FOUND");
  });
});
