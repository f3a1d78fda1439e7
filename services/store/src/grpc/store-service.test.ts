// StoreService over real gRPC, in-process: two stores, each an ObjectStore on a temp dir behind
// the runtime's startGrpcServer on 127.0.0.1:0, talked to through the runtime's StoreClients.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { commonV1, storeV1 } from "@dml/proto";
import { computeChecksum, createLogger, DmlError, startGrpcServer, StoreClients, type GrpcServerHandle } from "@dml/runtime";
import { fanOutDir, objectFileName } from "../domain/object-file.js";
import { ObjectStore } from "../domain/object-store.js";
import { createStoreService } from "./store-service.js";

const log = createLogger({ service: "store", node: "test", level: "silent" });
const BATCH = storeV1.ObjectKind.OBJECT_KIND_BATCH;
const MiB = 1024 * 1024;

interface TestStore {
  dataDir: string;
  address: string;
  server: GrpcServerHandle;
  peers: StoreClients;
}

async function startTestStore(): Promise<TestStore> {
  const dataDir = await mkdtemp(join(tmpdir(), "dml-store-service-"));
  const objects = await ObjectStore.open({ dataDir, log });
  const peers = new StoreClients();
  const server = await startGrpcServer({
    listen: { host: "127.0.0.1", port: 0 },
    services: [{ definition: storeV1.StoreServiceDefinition, implementation: createStoreService({ objects, peers, log }) }],
    log,
  });
  return { dataDir, address: server.boundAddress, server, peers };
}

function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
}

async function expectStatus(p: Promise<unknown>, code: Status, details?: RegExp): Promise<ClientError> {
  const err = await caught(p);
  expect(err).toBeInstanceOf(ClientError);
  expect(Status[(err as ClientError).code]).toBe(Status[code]);
  if (details) expect((err as ClientError).details).toMatch(details);
  return err as ClientError;
}

const opts = () => ({ signal: AbortSignal.timeout(10_000) });

/** Polls the filesystem (which has no event to await) until `check` holds, for up to 5 s. */
async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after 5000 ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("StoreService over gRPC", () => {
  let a: TestStore;
  let b: TestStore;
  const clients = new StoreClients();

  beforeAll(async () => {
    [a, b] = await Promise.all([startTestStore(), startTestStore()]);
  });

  afterAll(async () => {
    clients.close();
    for (const s of [a, b]) {
      if (!s) continue;
      await s.server.stop(0);
      s.peers.close();
      await rm(s.dataDir, { recursive: true, force: true });
    }
  });

  it("round-trips a 3.5 MiB object in 1 MiB chunks, verified end to end", async () => {
    const data = bytes(3.5 * MiB);
    const checksum = computeChecksum(data);
    const put = await clients.putObject(a.address, { key: "datasets/d/batch-0", kind: BATCH, data, checksum }, opts());
    expect(put.alreadyExisted).toBe(false);
    expect(put.object).toMatchObject({ key: "datasets/d/batch-0", kind: BATCH, size: data.length, checksum });

    const chunkSizes: number[] = [];
    for await (const msg of clients.client(a.address).getObject({ key: "datasets/d/batch-0" }, opts())) {
      if (msg.part?.$case === "chunk") chunkSizes.push(msg.part.chunk.length);
      else expect(msg.part).toEqual({ $case: "info", info: put.object });
    }
    expect(chunkSizes).toEqual([MiB, MiB, MiB, MiB / 2]);
    expect(Buffer.from(await clients.getObject(a.address, "datasets/d/batch-0", checksum, opts())).equals(data)).toBe(true);
    expect(await clients.headObject(a.address, "datasets/d/batch-0", { verify: true, ...opts() })).toEqual({
      exists: true,
      object: put.object,
      corrupt: false,
    });
  });

  it("a checksum computed by the client when none is given; SHA-256 accepted too", async () => {
    const data = bytes(1000, 4);
    const put = await clients.putObject(a.address, { key: "models/m1.json", kind: storeV1.ObjectKind.OBJECT_KIND_MODEL, data }, opts());
    expect(put.object.checksum).toEqual(computeChecksum(data));
    const sha = computeChecksum(data, commonV1.ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256);
    await clients.putObject(a.address, { key: "models/m2.json", kind: BATCH, data, checksum: sha }, opts());
    expect(Buffer.from(await clients.getObject(a.address, "models/m2.json", sha, opts())).equals(data)).toBe(true);
  });

  it("objects are immutable: identical put -> alreadyExisted, different -> ALREADY_EXISTS", async () => {
    const data = bytes(2 * MiB + 5, 2);
    await clients.putObject(a.address, { key: "imm", kind: BATCH, data }, opts());
    expect((await clients.putObject(a.address, { key: "imm", kind: BATCH, data }, opts())).alreadyExisted).toBe(true);
    await expectStatus(clients.putObject(a.address, { key: "imm", kind: BATCH, data: bytes(10, 3) }, opts()), Status.ALREADY_EXISTS, /immutable/);
  });

  it.each(["", "/abs", "a/../b", "a//b", "a/", "sp ace", "x".repeat(513), "é"])("refuses the key %j with INVALID_ARGUMENT on every RPC", async (key) => {
    const data = bytes(10);
    await expectStatus(clients.putObject(a.address, { key, kind: BATCH, data }, opts()), Status.INVALID_ARGUMENT, /invalid object key/);
    await expectStatus(clients.getObject(a.address, key, undefined, opts()), Status.INVALID_ARGUMENT);
    await expectStatus(clients.headObject(a.address, key, opts()), Status.INVALID_ARGUMENT);
    await expectStatus(clients.deleteObject(a.address, key, opts()), Status.INVALID_ARGUMENT);
    const copy = { key, sourceAddress: b.address, size: 10, checksum: computeChecksum(data), kind: BATCH };
    await expectStatus(clients.copyObjectFrom(a.address, copy, opts()), Status.INVALID_ARGUMENT);
  });

  it("PutObject protocol errors: no header, a second header, a chunk over 1 MiB, a size or checksum mismatch", async () => {
    const raw = clients.client(a.address);
    const header = (size: number, data: Uint8Array): storeV1.PutObjectRequest => ({
      part: { $case: "header", header: { key: "proto", kind: BATCH, size, checksum: computeChecksum(data) } },
    });
    const chunk = (data: Buffer): storeV1.PutObjectRequest => ({ part: { $case: "chunk", chunk: data } });
    async function* stream(...msgs: storeV1.PutObjectRequest[]) {
      yield* msgs;
    }
    const data = bytes(MiB + 1);
    await expectStatus(raw.putObject(stream(chunk(bytes(5))), opts()), Status.INVALID_ARGUMENT, /first PutObject message must be a header/);
    await expectStatus(raw.putObject(stream(), opts()), Status.INVALID_ARGUMENT, /first PutObject message must be a header/);
    await expectStatus(raw.putObject(stream(header(5, bytes(5)), header(5, bytes(5))), opts()), Status.INVALID_ARGUMENT, /only the first/);
    await expectStatus(raw.putObject(stream(header(data.length, data), chunk(data)), opts()), Status.INVALID_ARGUMENT, /at most 1048576 bytes/);
    await expectStatus(raw.putObject(stream(header(10, bytes(10)), chunk(bytes(9))), opts()), Status.INVALID_ARGUMENT, /received 9 bytes/);
    await expectStatus(raw.putObject(stream(header(10, bytes(10)), chunk(bytes(10, 7))), opts()), Status.DATA_LOSS, /fail the checksum/);
    expect((await clients.headObject(a.address, "proto", opts())).exists).toBe(false);
  });

  it("an upload abandoned by its client (deadline, cancel) leaves no temp file behind", async () => {
    const data = bytes(4 * MiB, 12);
    let releaseSender!: () => void;
    const released = new Promise<void>((resolve) => (releaseSender = resolve));
    async function* stalled(): AsyncIterable<storeV1.PutObjectRequest> {
      yield { part: { $case: "header", header: { key: "abandoned", kind: BATCH, size: data.length, checksum: computeChecksum(data) } } };
      yield { part: { $case: "chunk", chunk: data.subarray(0, MiB) } };
      await released;
    }
    const controller = new AbortController();
    const upload = caught(clients.client(a.address).putObject(stalled(), { signal: controller.signal }));
    const tmp = join(a.dataDir, "tmp");
    await waitUntil(async () => (await readdir(tmp)).length === 1, "the upload's temp file appears");
    controller.abort();
    releaseSender();
    expect(await upload).toMatchObject({ name: "AbortError" });
    await waitUntil(async () => (await readdir(tmp)).length === 0, "the temp file is removed");
    expect((await clients.headObject(a.address, "abandoned", opts())).exists).toBe(false);
  });

  it("GetObject: NOT_FOUND when absent; DATA_LOSS for a stale expected checksum (copy kept)", async () => {
    await expectStatus(clients.getObject(a.address, "absent", undefined, opts()), Status.NOT_FOUND);
    const data = bytes(100, 5);
    await clients.putObject(a.address, { key: "stale", kind: BATCH, data }, opts());
    await expectStatus(clients.getObject(a.address, "stale", computeChecksum(bytes(100, 6)), opts()), Status.DATA_LOSS, /stale copy/);
    expect((await clients.headObject(a.address, "stale", opts())).exists).toBe(true);
  });

  it("a corrupt file: GetObject fails DATA_LOSS, the object is quarantined, CopyObjectFrom restores it", async () => {
    const data = bytes(2 * MiB + 100, 8);
    const checksum = computeChecksum(data);
    await clients.putObject(a.address, { key: "fragile", kind: BATCH, data, checksum }, opts());
    await clients.putObject(b.address, { key: "fragile", kind: BATCH, data, checksum }, opts());
    const name = objectFileName("fragile");
    const path = join(a.dataDir, "objects", fanOutDir(name), name);
    const file = await readFile(path);
    file[file.length - 1]! ^= 0xff;
    await writeFile(path, file);

    await expectStatus(clients.getObject(a.address, "fragile", checksum, opts()), Status.DATA_LOSS, /quarantined/);
    expect(await clients.headObject(a.address, "fragile", opts())).toEqual({ exists: false, corrupt: false });

    const copy = { key: "fragile", sourceAddress: b.address, size: data.length, checksum, kind: BATCH };
    const copied = await clients.copyObjectFrom(a.address, copy, opts());
    expect(copied).toMatchObject({ alreadyExisted: false, object: { key: "fragile", size: data.length, checksum } });
    expect(Buffer.from(await clients.getObject(a.address, "fragile", checksum, opts())).equals(data)).toBe(true);
    expect((await clients.copyObjectFrom(a.address, copy, opts())).alreadyExisted).toBe(true);
  });

  it("HeadObject with verify reports corrupt = true and quarantines", async () => {
    const data = bytes(5000, 9);
    await clients.putObject(a.address, { key: "scrub", kind: BATCH, data }, opts());
    const name = objectFileName("scrub");
    const path = join(a.dataDir, "objects", fanOutDir(name), name);
    const file = await readFile(path);
    file[file.length - 2000]! ^= 0x01;
    await writeFile(path, file);
    expect((await clients.headObject(a.address, "scrub", opts())).exists).toBe(true);
    expect(await clients.headObject(a.address, "scrub", { verify: true, ...opts() })).toEqual({ exists: false, corrupt: true });
    expect((await clients.headObject(a.address, "scrub", opts())).exists).toBe(false);
  });

  it("CopyObjectFrom refuses a source whose size or checksum differ (DATA_LOSS) and writes nothing", async () => {
    const data = bytes(3000, 10);
    await clients.putObject(b.address, { key: "src", kind: BATCH, data }, opts());
    const good = { key: "src", sourceAddress: b.address, size: data.length, checksum: computeChecksum(data), kind: BATCH };
    await expectStatus(clients.copyObjectFrom(a.address, { ...good, size: 2999 }, opts()), Status.DATA_LOSS, /3000 bytes, expected 2999/);
    await expectStatus(
      clients.copyObjectFrom(a.address, { ...good, checksum: computeChecksum(bytes(3000, 11)) }, opts()),
      Status.DATA_LOSS,
      new RegExp(`copying src from ${b.address}`),
    );
    const otherAlgorithm = computeChecksum(bytes(3000, 11), commonV1.ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256);
    await expectStatus(clients.copyObjectFrom(a.address, { ...good, checksum: otherAlgorithm }, opts()), Status.DATA_LOSS);
    expect((await clients.headObject(a.address, "src", opts())).exists).toBe(false);
    await expectStatus(clients.copyObjectFrom(a.address, { ...good, key: "nowhere" }, opts()), Status.NOT_FOUND, /copying nowhere from/);
    expect((await clients.copyObjectFrom(a.address, good, opts())).alreadyExisted).toBe(false);
  });

  it("CopyObjectFrom: UNAVAILABLE for an unreachable source, INVALID_ARGUMENT for a malformed address", async () => {
    const data = bytes(10);
    const req = { key: "x", sourceAddress: "127.0.0.1:1", size: 10, checksum: computeChecksum(data), kind: BATCH };
    await expectStatus(clients.copyObjectFrom(a.address, req, opts()), Status.UNAVAILABLE);
    await expectStatus(clients.copyObjectFrom(a.address, { ...req, sourceAddress: "not an address" }, opts()), Status.INVALID_ARGUMENT, /source_address/);
  });

  it("DeleteObject is idempotent", async () => {
    await clients.putObject(a.address, { key: "del", kind: BATCH, data: bytes(10) }, opts());
    expect(await clients.deleteObject(a.address, "del", opts())).toEqual({ existed: true });
    expect(await clients.deleteObject(a.address, "del", opts())).toEqual({ existed: false });
    await expectStatus(clients.getObject(a.address, "del", undefined, opts()), Status.NOT_FOUND);
  });

  it("ListObjects pages by prefix in key order; bad page_size and page_token are INVALID_ARGUMENT", async () => {
    const keys = ["list/e", "list/a", "list/c", "list/b", "list/d"];
    for (const key of keys) await clients.putObject(b.address, { key, kind: BATCH, data: bytes(3) }, opts());
    const raw = clients.client(b.address);
    const pages: string[][] = [];
    let pageToken = "";
    do {
      const page = await raw.listObjects({ prefix: "list/", pageSize: 2, pageToken }, opts());
      pages.push(page.objects.map((o) => o.key));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(pages).toEqual([["list/a", "list/b"], ["list/c", "list/d"], ["list/e"]]);

    const all: string[] = [];
    for await (const info of clients.listObjects(b.address, "list/", { pageSize: 2, ...opts() })) all.push(info.key);
    expect(all).toEqual(["list/a", "list/b", "list/c", "list/d", "list/e"]);

    await expectStatus(raw.listObjects({ prefix: "list/", pageSize: -1 }, opts()), Status.INVALID_ARGUMENT, /page_size/);
    await expectStatus(raw.listObjects({ prefix: "list/", pageSize: 10_001 }, opts()), Status.INVALID_ARGUMENT, /page_size/);
    await expectStatus(raw.listObjects({ prefix: "list/", pageToken: "garbage" }, opts()), Status.INVALID_ARGUMENT, /page_token/);
    const first = await raw.listObjects({ prefix: "list/", pageSize: 1 }, opts());
    await expectStatus(raw.listObjects({ prefix: "other/", pageToken: first.nextPageToken }, opts()), Status.INVALID_ARGUMENT, /page_token/);
  });

  it("the client refuses bytes that do not match what the store claims (DATA_LOSS from the client itself)", async () => {
    // A store that lies: its info says one checksum, its bytes say another.
    const liar = await startGrpcServer({
      listen: { host: "127.0.0.1", port: 0 },
      log,
      services: [
        {
          definition: storeV1.StoreServiceDefinition,
          implementation: {
            ...createStoreService({ objects: await ObjectStore.open({ dataDir: a.dataDir + "-liar", log }), peers: clients, log }),
            async *getObject(req: storeV1.GetObjectRequest) {
              const data = bytes(100);
              yield { part: { $case: "info" as const, info: { key: req.key, kind: BATCH, size: 100, checksum: computeChecksum(bytes(100, 2)), createdAt: "" } } };
              yield { part: { $case: "chunk" as const, chunk: data } };
            },
          },
        },
      ],
    });
    try {
      const err = await caught(clients.getObject(liar.boundAddress, "k", undefined, opts()));
      expect(err).toBeInstanceOf(DmlError);
      expect((err as DmlError).code).toBe("DATA_LOSS");
      // And a store copying from it refuses too, writing nothing.
      const copy = { key: "k", sourceAddress: liar.boundAddress, size: 100, checksum: computeChecksum(bytes(100, 2)), kind: BATCH };
      await expectStatus(clients.copyObjectFrom(b.address, copy, opts()), Status.DATA_LOSS, /fails its checksum/);
      expect((await clients.headObject(b.address, "k", opts())).exists).toBe(false);
    } finally {
      await liar.server.forceShutdown();
      await rm(a.dataDir + "-liar", { recursive: true, force: true });
    }
  });
});
