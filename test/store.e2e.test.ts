// Store nodes as real processes (test kit: real etcd + 2 stores), driven through the runtime's
// StoreClients and the raw StoreService client: big objects across chunks, copies between stores,
// a flipped byte on disk (quarantine, then repair by copy), kill -9 in the middle of a write and a
// restart on the same data dir, and the contract's errors.
//
// The on-disk layout is stated here rather than imported: <data dir>/objects/<h[0:2]>/<h>.obj with
// h = sha256(key), temp files in <data dir>/tmp, corrupt files moved to <data dir>/quarantine.
import { createHash } from "node:crypto";
import { readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { storeV1 } from "@dml/proto";
import { computeChecksum, KEYS, StoreClients } from "@dml/runtime";
import { TestCluster, waitFor } from "@dml/testkit";

const MiB = 1024 * 1024;
const BATCH = storeV1.ObjectKind.OBJECT_KIND_BATCH;
const opts = () => ({ signal: AbortSignal.timeout(15_000) });

function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function statusOf(p: Promise<unknown>): Promise<ClientError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "the call must fail with a gRPC status").toBeInstanceOf(ClientError);
  return err as ClientError;
}

describe("store nodes (real processes)", () => {
  let cluster: TestCluster;
  const stores = new StoreClients();
  const address = (id: string) => cluster.node(id).address;
  const dataDir = (id: string) => join(cluster.dir, "data", id);
  const objectFile = (id: string, key: string) => {
    const h = createHash("sha256").update(key).digest("hex");
    return join(dataDir(id), "objects", h.slice(0, 2), `${h}.obj`);
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({ stores: 2 });
  });

  afterAll(async () => {
    stores.close();
    await cluster?.stop();
  });

  it("round-trips a 10 MiB object in 1 MiB chunks", async () => {
    const data = bytes(10 * MiB);
    const checksum = computeChecksum(data);
    const put = await stores.putObject(address("store-1"), { key: "datasets/big/batch-000000.arrow", kind: BATCH, data, checksum }, opts());
    expect(put).toMatchObject({ alreadyExisted: false, object: { key: "datasets/big/batch-000000.arrow", size: 10 * MiB, checksum } });

    const chunks: number[] = [];
    for await (const msg of stores.client(address("store-1")).getObject({ key: "datasets/big/batch-000000.arrow" }, opts())) {
      if (msg.part?.$case === "chunk") chunks.push(msg.part.chunk.length);
    }
    expect(chunks).toEqual(Array(10).fill(MiB));
    const back = await stores.getObject(address("store-1"), "datasets/big/batch-000000.arrow", checksum, opts());
    expect(Buffer.from(back).equals(data)).toBe(true);
  });

  it("CopyObjectFrom pulls an object from the other store", async () => {
    const data = bytes(3 * MiB + 17, 2);
    const checksum = computeChecksum(data);
    await stores.putObject(address("store-1"), { key: "models/m1.json", kind: BATCH, data, checksum }, opts());
    const req = { key: "models/m1.json", sourceAddress: address("store-1"), size: data.length, checksum, kind: BATCH };
    const copied = await stores.copyObjectFrom(address("store-2"), req, opts());
    expect(copied).toMatchObject({ alreadyExisted: false, object: { key: "models/m1.json", size: data.length, checksum } });
    expect(Buffer.from(await stores.getObject(address("store-2"), "models/m1.json", checksum, opts())).equals(data)).toBe(true);
    expect((await stores.copyObjectFrom(address("store-2"), req, opts())).alreadyExisted).toBe(true);
  });

  it("a flipped byte on disk: DATA_LOSS, quarantined, then restored by CopyObjectFrom from the healthy store", async () => {
    const key = "datasets/flip/batch-000000.arrow";
    const data = bytes(2 * MiB + 3, 3);
    const checksum = computeChecksum(data);
    for (const id of ["store-1", "store-2"]) await stores.putObject(address(id), { key, kind: BATCH, data, checksum }, opts());

    const file = await readFile(objectFile("store-1", key));
    file[file.length - MiB]! ^= 0x40;
    await writeFile(objectFile("store-1", key), file);

    const err = await statusOf(stores.getObject(address("store-1"), key, checksum, opts()));
    expect(Status[err.code]).toBe("DATA_LOSS");
    expect(err.details).toMatch(/quarantined/);
    expect(await stores.headObject(address("store-1"), key, opts())).toMatchObject({ exists: false });
    const listed = [];
    for await (const o of stores.listObjects(address("store-1"), "datasets/flip/", opts())) listed.push(o.key);
    expect(listed).toEqual([]);
    expect((await readdir(join(dataDir("store-1"), "quarantine"))).length).toBe(1);

    const req = { key, sourceAddress: address("store-2"), size: data.length, checksum, kind: BATCH };
    expect((await stores.copyObjectFrom(address("store-1"), req, opts())).alreadyExisted).toBe(false);
    expect(Buffer.from(await stores.getObject(address("store-1"), key, checksum, opts())).equals(data)).toBe(true);
  });

  it.each(["", "/etc/passwd", "../../escape", "a//b", "a/./b", "trailing/", "with space", "semi;colon", "x".repeat(513)])(
    "refuses the key %j with INVALID_ARGUMENT",
    async (key) => {
      const err = await statusOf(stores.putObject(address("store-1"), { key, kind: BATCH, data: bytes(10) }, opts()));
      expect(Status[err.code]).toBe("INVALID_ARGUMENT");
      expect(err.details).toMatch(/invalid object key/);
      expect(Status[(await statusOf(stores.getObject(address("store-1"), key, undefined, opts()))).code]).toBe("INVALID_ARGUMENT");
      expect(Status[(await statusOf(stores.headObject(address("store-1"), key, opts()))).code]).toBe("INVALID_ARGUMENT");
      expect(Status[(await statusOf(stores.deleteObject(address("store-1"), key, opts()))).code]).toBe("INVALID_ARGUMENT");
    },
  );

  it("objects are immutable: identical again -> already_existed, different -> ALREADY_EXISTS", async () => {
    const data = bytes(1000, 4);
    const first = await stores.putObject(address("store-2"), { key: "imm/k", kind: BATCH, data }, opts());
    const again = await stores.putObject(address("store-2"), { key: "imm/k", kind: BATCH, data }, opts());
    expect(again).toEqual({ object: first.object, alreadyExisted: true });
    const err = await statusOf(stores.putObject(address("store-2"), { key: "imm/k", kind: BATCH, data: bytes(1000, 5) }, opts()));
    expect(Status[err.code]).toBe("ALREADY_EXISTS");
  });

  it("DeleteObject is idempotent", async () => {
    await stores.putObject(address("store-2"), { key: "del/k", kind: BATCH, data: bytes(10) }, opts());
    expect(await stores.deleteObject(address("store-2"), "del/k", opts())).toEqual({ existed: true });
    expect(await stores.deleteObject(address("store-2"), "del/k", opts())).toEqual({ existed: false });
    expect(Status[(await statusOf(stores.getObject(address("store-2"), "del/k", undefined, opts()))).code]).toBe("NOT_FOUND");
  });

  it("ListObjects pages with page_size 2, in key order", async () => {
    const keys = ["page/05", "page/01", "page/03", "page/02", "page/04"];
    for (const key of keys) await stores.putObject(address("store-2"), { key, kind: BATCH, data: bytes(5) }, opts());
    const raw = stores.client(address("store-2"));
    const pages: string[][] = [];
    let pageToken = "";
    do {
      const page = await raw.listObjects({ prefix: "page/", pageSize: 2, pageToken }, opts());
      pages.push(page.objects.map((o) => o.key));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(pages).toEqual([["page/01", "page/02"], ["page/03", "page/04"], ["page/05"]]);
  });

  it("kill -9 during a PutObject, restart on the same data dir: no partial object, temp dir clean, truncated file quarantined", async () => {
    const victim = "datasets/victim/batch-000000.arrow";
    await stores.putObject(address("store-1"), { key: victim, kind: BATCH, data: bytes(MiB, 6) }, opts());

    // An upload that sends 3 of its 8 MiB and then stalls until the store is gone.
    const key = "datasets/partial/batch-000000.arrow";
    const data = bytes(8 * MiB, 7);
    let releaseSender!: () => void;
    const senderReleased = new Promise<void>((resolve) => (releaseSender = resolve));
    async function* stalledUpload(): AsyncIterable<storeV1.PutObjectRequest> {
      yield { part: { $case: "header", header: { key, kind: BATCH, size: data.length, checksum: computeChecksum(data) } } };
      for (let i = 0; i < 3; i++) yield { part: { $case: "chunk", chunk: data.subarray(i * MiB, (i + 1) * MiB) } };
      await senderReleased;
    }
    const upload = stores.client(address("store-1")).putObject(stalledUpload()).then(
      () => undefined,
      (e: unknown) => e,
    );
    const tmpDir = join(dataDir("store-1"), "tmp");
    await waitFor(
      async () => {
        const names = await readdir(tmpDir);
        return names.length === 1 && (await stat(join(tmpDir, names[0]!))).size >= 3 * MiB;
      },
      { timeoutMs: 10_000, message: "the partial upload's temp file holds 3 MiB" },
    );

    await cluster.node("store-1").kill("SIGKILL");
    releaseSender();
    expect(await upload).toBeInstanceOf(ClientError);
    expect(await readdir(tmpDir)).toHaveLength(1); // the crash left it behind
    await truncate(objectFile("store-1", victim), 1000); // and, say, a torn final file

    const restarted = await cluster.startNode("store", { id: "store-1" });
    const loaded = await restarted.waitForLine((e) => e["msg"] === "object index loaded", 5_000);
    expect(loaded).toMatchObject({ removedTempFiles: 1, quarantined: 1 });

    expect(await readdir(tmpDir)).toEqual([]);
    const listed: string[] = [];
    for await (const o of stores.listObjects(address("store-1"), "datasets/", opts())) listed.push(o.key);
    expect(listed).not.toContain(key);
    expect(listed).not.toContain(victim);
    expect(listed).toEqual(["datasets/big/batch-000000.arrow", "datasets/flip/batch-000000.arrow"]);
    expect(await stores.headObject(address("store-1"), key, opts())).toMatchObject({ exists: false });
    expect(Status[(await statusOf(stores.getObject(address("store-1"), key, undefined, opts()))).code]).toBe("NOT_FOUND");
    expect(Status[(await statusOf(stores.getObject(address("store-1"), victim, undefined, opts()))).code]).toBe("NOT_FOUND");

    // The restarted node's membership record counts what it serves.
    const record = JSON.parse((await cluster.client().get(KEYS.node("store-1")).string())!) as { stats?: Record<string, number> };
    expect(record.stats?.["objects"]).toBe(listed.length + 1); // + models/m1.json

    // The objects that were whole are still served, and the interrupted upload can simply be redone.
    const big = await stores.getObject(address("store-1"), "datasets/big/batch-000000.arrow", undefined, opts());
    expect(Buffer.from(big).equals(bytes(10 * MiB))).toBe(true);
    expect((await stores.putObject(address("store-1"), { key, kind: BATCH, data }, opts())).alreadyExisted).toBe(false);
    expect(Buffer.from(await stores.getObject(address("store-1"), key, undefined, opts())).equals(data)).toBe(true);
  });
});
