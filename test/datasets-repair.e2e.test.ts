// Datasets under failure (issue 3, points 5, 6 and 9), with real processes: four stores (R = 3),
// two schedulers whose leader repairs and cleans up on short timers, and a gateway.
// - a flipped byte in one replica's file: reads return the right data from another replica, the
//   store quarantines the bad file and the gateway puts a good copy back;
// - every replica corrupt: a DATA_LOSS error, never wrong data;
// - kill -9 of a store after upload: the leader copies every batch it held to another live store
//   and rewrites the manifest, and the dataset downloads identically;
// - kill -9 of a store while reading: reads fail over to the other replicas;
// - kill -9 of a gateway in the middle of an upload: no dataset, and the leader's orphan cleanup
//   removes the batches it had written.
import { createHash } from "node:crypto";
import { request } from "node:http";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreClients } from "@dml/runtime";
import { TestCluster, waitFor, type TestNode } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import {
  arrowRowsOf,
  DATASETS_PREFIX,
  download,
  getDataset,
  getRows,
  leftovers,
  objectsOnStores,
  readManifest,
  requestJson,
  rng,
  typedRowsOf,
  uploadCsv,
  UPLOADS_PREFIX,
  waitUntilNone,
  type DatasetManifest,
  type ErrorBody,
  type Row,
} from "./helpers/datasets.js";

const MAINTENANCE = { DML_REPAIR_INTERVAL_MS: "500", DML_ORPHAN_INTERVAL_MS: "500", DML_ORPHAN_GRACE_MS: "2000" };

let cluster: TestCluster;
let etcd: Etcd3;
let base: string;
let gateway: TestNode;
const stores = new StoreClients();
const killed = new Set<string>();

const liveStores = () => cluster.byRole("store").filter((n) => !killed.has(n.id));
const liveStoreAddresses = () => liveStores().map((n) => ({ id: n.id, address: n.address }));

function objectFile(storeId: string, key: string): string {
  const h = createHash("sha256").update(key).digest("hex");
  return join(cluster.dir, "data", storeId, "objects", h.slice(0, 2), `${h}.obj`);
}

/** Flips one bit of the object's payload (its last bytes) in the store's file on disk. */
async function flipByte(storeId: string, key: string): Promise<void> {
  const file = objectFile(storeId, key);
  const bytes = await readFile(file);
  bytes[bytes.length - 20]! ^= 0x10;
  await writeFile(file, bytes);
}

function numericCsv(rows: number, seed: number): string {
  const random = rng(seed);
  const lines = ["id,value,count,label"];
  for (let i = 0; i < rows; i++) {
    lines.push(`${i},${(random() * 1000 - 500).toFixed(4)},${Math.floor(random() * 100)},${["a", "b", "c", "d"][i % 4]}`);
  }
  return `${lines.join("\n")}\n`;
}

async function killStore(id: string): Promise<void> {
  killed.add(id);
  await cluster.node(id).kill("SIGKILL");
}

/** Every batch on R = 3 distinct live stores, none of them `dead`. */
function fullyReplicated(m: DatasetManifest | undefined, dead: string): boolean {
  const live = new Set(liveStores().map((n) => n.id));
  return m !== undefined && m.batches.every((b) => b.replicas.length === 3 && new Set(b.replicas).size === 3 && !b.replicas.includes(dead) && b.replicas.every((id) => live.has(id)));
}

/**
 * The global invariant once repair and cleanup have settled: every batch on 3 distinct live stores,
 * and every live store holding exactly the batch objects the manifests list it for. Undefined
 * when it holds, else what differs.
 */
async function settled(): Promise<string | undefined> {
  const manifests = Object.values(await etcd.getAll().prefix(DATASETS_PREFIX).strings()).map((raw) => JSON.parse(raw) as DatasetManifest);
  const live = new Set(liveStores().map((n) => n.id));
  const problems: string[] = [];
  const expected = new Map<string, Set<string>>([...live].map((id) => [id, new Set<string>()]));
  for (const m of manifests) {
    for (const b of m.batches) {
      if (b.replicas.length !== 3 || new Set(b.replicas).size !== 3 || !b.replicas.every((id) => live.has(id))) {
        problems.push(`${b.objectKey} on [${b.replicas.join(",")}]`);
      }
      for (const id of b.replicas) expected.get(id)?.add(b.objectKey);
    }
  }
  for (const [id, keys] of await objectsOnStores(stores, liveStoreAddresses())) {
    const want = expected.get(id)!;
    const extra = keys.filter((k) => !want.has(k));
    const missing = [...want].filter((k) => !keys.includes(k));
    if (extra.length > 0) problems.push(`${id} holds ${extra.length} unlisted objects, e.g. ${extra[0]}`);
    if (missing.length > 0) problems.push(`${id} lacks ${missing.length} listed objects, e.g. ${missing[0]}`);
  }
  return problems.length > 0 ? problems.slice(0, 5).join("; ") : undefined;
}

beforeAll(async () => {
  cluster = await TestCluster.start({ stores: 4, gateways: 1, env: { DML_REPLICATION: "3" } });
  for (let i = 0; i < 2; i++) await cluster.startNode("scheduler", { env: MAINTENANCE });
  etcd = cluster.client();
  base = cluster.httpUrl;
  gateway = cluster.byRole("gateway")[0]!;
  await waitFor(async () => (await cluster.leadership(etcd))?.leaderId, { timeoutMs: 10_000, message: "a scheduler leader" });
});

afterAll(async () => {
  stores.close();
  await cluster?.stop();
});

describe("corrupt replicas", () => {
  it("a flipped byte in one replica: correct data from another, the bad copy quarantined and replaced", async () => {
    const csv = numericCsv(3_000, 1);
    const dataset = await uploadCsv(base, csv, { name: "flipped", rowsPerBatch: "1000" });
    const expected = typedRowsOf(csv, dataset.columns);
    const manifest = (await readManifest(etcd, dataset.id))!;
    const batch = manifest.batches[1]!;
    // Readers try the replicas in the manifest's order: corrupt the one read first.
    const victim = batch.replicas[0]!;
    await flipByte(victim, batch.objectKey);
    const good = await stores.getObject(cluster.node(batch.replicas[1]!).address, batch.objectKey);

    expect((await getRows(base, dataset.id, 1_000, 1_000)).rows).toEqual(expected.slice(1_000, 2_000));

    // The store quarantined its bad file, and the gateway put a good copy back.
    await gateway.waitForLine((e) => e["msg"] === "replaced a bad replica" && e["key"] === batch.objectKey && e["store"] === victim, 10_000);
    expect(await readdir(join(cluster.dir, "data", victim, "quarantine"))).toHaveLength(1);
    const head = await stores.headObject(cluster.node(victim).address, batch.objectKey, { verify: true });
    expect(head).toMatchObject({ exists: true, object: { size: batch.bytes, checksum: { value: batch.checksum.value } } });
    const restored = await stores.getObject(cluster.node(victim).address, batch.objectKey);
    expect(Buffer.from(restored).equals(Buffer.from(good))).toBe(true);
    expect((await readManifest(etcd, dataset.id))!.batches).toEqual(manifest.batches);

    // And the whole dataset still reads back right, in every format.
    expect(typedRowsOf(await download(base, dataset.id), dataset.columns)).toEqual(expected);
    expect(arrowRowsOf(await download(base, dataset.id, "arrow")).rows).toEqual(expected);
  });

  it("every replica of a batch corrupt: 500 DATA_LOSS naming the batch, never wrong data; the other batches still read", async () => {
    const csv = numericCsv(2_000, 2);
    const dataset = await uploadCsv(base, csv, { name: "all-corrupt", rowsPerBatch: "1000" });
    const batch = (await readManifest(etcd, dataset.id))!.batches[0]!;
    for (const id of batch.replicas) await flipByte(id, batch.objectKey);

    const res = await requestJson<ErrorBody>(`${base}/v1/datasets/${dataset.id}/rows?offset=0&limit=10`);
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("DATA_LOSS");
    expect(res.body.error.message).toMatch(new RegExp(`every live replica of batch 0 of dataset ${dataset.id} is missing or corrupt`));
    expect((await getRows(base, dataset.id, 1_000, 10)).rows).toEqual(typedRowsOf(csv, dataset.columns).slice(1_000, 1_010));
    // A download cannot hand out a partial file as if it were whole: the stream is cut.
    const broken = await fetch(`${base}/v1/datasets/${dataset.id}/download`).then(
      async (r) => (r.status === 200 ? r.arrayBuffer().then(() => "complete", () => "cut") : `status ${r.status}`),
      () => "cut",
    );
    expect(broken).not.toBe("complete");
    expect((await fetch(`${base}/v1/datasets/${dataset.id}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("store loss", () => {
  it("kill -9 of a store after upload: the leader re-replicates every batch it held to another live store", async () => {
    const csv = numericCsv(20_000, 3);
    const dataset = await uploadCsv(base, csv, { name: "re-replicated", rowsPerBatch: "1000" });
    expect(dataset).toMatchObject({ batches: 20, replicas: 3 });
    const before = (await readManifest(etcd, dataset.id))!;
    const original = await download(base, dataset.id);

    // The store holding the most batches dies.
    const holdings = new Map<string, number>();
    for (const b of before.batches) for (const id of b.replicas) holdings.set(id, (holdings.get(id) ?? 0) + 1);
    const victim = [...holdings.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
    const held = before.batches.filter((b) => b.replicas.includes(victim)).map((b) => b.index);
    expect(held.length).toBeGreaterThan(0);
    await killStore(victim);

    const after = await waitFor(
      async () => {
        const m = await readManifest(etcd, dataset.id);
        return fullyReplicated(m, victim) ? m : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: `every batch back on 3 live stores after ${victim} died` },
    );
    before.batches.forEach((b, k) => {
      const now = after!.batches[k]!;
      expect({ ...now, replicas: undefined }).toEqual({ ...b, replicas: undefined });
      if (held.includes(b.index)) {
        // The survivors stay; one new store joins.
        for (const id of b.replicas.filter((r) => r !== victim)) expect(now.replicas).toContain(id);
      } else {
        expect(now.replicas, `batch ${k} did not need repair`).toEqual(b.replicas);
      }
    });
    // Every listed copy is really there, whole.
    for (const b of after!.batches) {
      for (const id of b.replicas) {
        const head = await stores.headObject(cluster.node(id).address, b.objectKey, { verify: true });
        expect(head, `${b.objectKey} on ${id}`).toMatchObject({ exists: true, object: { size: b.bytes, checksum: { value: b.checksum.value } } });
      }
    }
    await waitFor(async () => (await getDataset(base, dataset.id)).replicas === 3, {
      timeoutMs: 10_000,
      message: "GET /v1/datasets/{id} reports 3 live replicas again",
    });
    expect((await download(base, dataset.id)).equals(original)).toBe(true);
    expect(typedRowsOf(original, dataset.columns)).toEqual(typedRowsOf(csv, dataset.columns));
  });

  it("kill -9 of a store while reading: rows and downloads still succeed, failing over to other replicas", async () => {
    // Back to four stores, so R = 3 still leaves a choice of replica.
    await cluster.startNode("store", { id: "store-5" });
    const csv = numericCsv(20_000, 4);
    const dataset = await uploadCsv(base, csv, { name: "read-during-kill", rowsPerBatch: "1000" });
    const expected = typedRowsOf(csv, dataset.columns);
    const manifest = (await readManifest(etcd, dataset.id))!;

    // Batches 0-4 are read (and cached by the gateway) before, 5-12 while, and 13-19 right after
    // the kill. The victim is the replica read first for most of batches 13-19, so those reads
    // have to fail over (the dead store is still in membership until its lease expires).
    const firsts = new Map<string, number>();
    for (const b of manifest.batches.slice(13)) firsts.set(b.replicas[0]!, (firsts.get(b.replicas[0]!) ?? 0) + 1);
    const victim = [...firsts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
    expect(killed.has(victim)).toBe(false);

    expect((await getRows(base, dataset.id, 0, 5_000)).rows).toEqual(expected.slice(0, 5_000));
    const during = (async () => {
      const rows: Row[] = [];
      for (let offset = 5_000; offset < 13_000; offset += 1_000) rows.push(...(await getRows(base, dataset.id, offset, 1_000)).rows);
      return rows;
    })();
    await killStore(victim);
    expect(await during).toEqual(expected.slice(5_000, 13_000));
    const [csvBack, arrowBack, tail] = await Promise.all([
      download(base, dataset.id),
      download(base, dataset.id, "arrow"),
      getRows(base, dataset.id, 13_000, 7_000),
    ]);
    expect(typedRowsOf(csvBack, dataset.columns)).toEqual(expected);
    expect(arrowRowsOf(arrowBack).rows).toEqual(expected);
    expect(tail.rows).toEqual(expected.slice(13_000));
    await gateway.waitForLine((e) => e["msg"] === "replica read failed; trying another" && e["store"] === victim, 1_000);
  });
});

describe("interrupted uploads", () => {
  it("kill -9 of the gateway mid-upload: no dataset, and the leader's orphan cleanup removes the written batches", async () => {
    const doomed = await cluster.startNode("gateway", { id: "gateway-doomed" });
    const manifestsBefore = await etcd.getAll().prefix(DATASETS_PREFIX).keys();
    // A slow client: 5,000 rows (10 batches of 500) sent, then the body never ends.
    const req = request(`${doomed.http}/v1/datasets?name=interrupted&rowsPerBatch=500`, { method: "POST", headers: { "content-type": "text/csv" } });
    const failed = new Promise<Error>((resolve) => req.on("error", resolve));
    req.on("response", (res) => res.resume());
    req.write(numericCsv(5_000, 5));

    const uploadId = await waitFor(
      async () => {
        const keys = await etcd.getAll().prefix(UPLOADS_PREFIX).keys();
        const id = keys[0]?.slice(UPLOADS_PREFIX.length);
        if (!id) return undefined;
        const objects = await objectsOnStores(stores, liveStoreAddresses(), `datasets/${id}/`);
        // Every batch durable on three stores: the upload is only waiting for more bytes.
        return [...objects.values()].reduce((n, keys) => n + keys.length, 0) >= 30 ? id : undefined;
      },
      { timeoutMs: 10_000, message: "the interrupted upload's batches on the stores" },
    );
    await doomed.kill("SIGKILL");
    expect((await failed).message).toMatch(/socket hang up|ECONNRESET/);

    await waitFor(async () => (await etcd.getAll().prefix(UPLOADS_PREFIX).keys()).length === 0, {
      timeoutMs: 10_000,
      message: "the upload key's lease expired with its gateway",
    });
    const leader = cluster.node((await cluster.leadership(etcd))!.leaderId);
    await waitUntilNone(
      async () => {
        const left = [...(await objectsOnStores(stores, liveStoreAddresses(), `datasets/${uploadId}/`)).entries()].filter(([, keys]) => keys.length > 0);
        return left.length > 0 ? left.map(([s, keys]) => `${s}: ${keys.length} objects`).join(", ") : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, message: `orphan cleanup deletes datasets/${uploadId}/*` },
    );
    await leader.waitForLine((e) => e["msg"] === "deleted orphan object" && String(e["key"]).startsWith(`datasets/${uploadId}/`), 1_000);
    expect(await readManifest(etcd, uploadId)).toBeUndefined();
    expect(await etcd.getAll().prefix(DATASETS_PREFIX).keys()).toEqual(manifestsBefore);
    // The datasets that exist kept every byte: nothing but orphans was removed.
    const known = new Set(manifestsBefore.map((k) => k.slice(DATASETS_PREFIX.length)));
    expect(await leftovers(etcd, stores, liveStoreAddresses(), known)).toBeUndefined();
    for (const id of known) {
      const m = (await readManifest(etcd, id))!;
      for (const b of m.batches) {
        for (const storeId of b.replicas.filter((s) => !killed.has(s))) {
          expect((await stores.headObject(cluster.node(storeId).address, b.objectKey)).exists, `${b.objectKey} on ${storeId}`).toBe(true);
        }
      }
    }
  });
});

describe("stores that die during an upload and come back", () => {
  // The store killed during the upload below still holds that upload's batch 0 on its disk.
  let staleCopy: { store: string; key: string } | undefined;

  it("kill -9 of a store in the middle of an upload with exactly R live stores: 503 naming the batch, nothing left", async () => {
    expect(liveStores()).toHaveLength(3);
    const csv = numericCsv(3_000, 6);
    const firstBatch = csv.split("\n").slice(0, 501).join("\n") + "\n"; // header + 500 rows
    const rest = csv.slice(firstBatch.length);
    const secondBatch = rest.split("\n").slice(0, 500).join("\n") + "\n";
    const remainder = rest.slice(secondBatch.length);

    const req = request(`${base}/v1/datasets?name=store-lost&rowsPerBatch=500`, { method: "POST", headers: { "content-type": "text/csv" } });
    const answer = new Promise<{ status: number; body: ErrorBody }>((resolve, reject) => {
      req.on("error", reject);
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) as ErrorBody }));
      });
    });
    req.write(firstBatch);
    const uploadId = await waitFor(
      async () => {
        const id = (await etcd.getAll().prefix(UPLOADS_PREFIX).keys())[0]?.slice(UPLOADS_PREFIX.length);
        if (!id) return undefined;
        const objects = await objectsOnStores(stores, liveStoreAddresses(), `datasets/${id}/`);
        return [...objects.values()].every((keys) => keys.length === 1) ? id : undefined;
      },
      { timeoutMs: 10_000, message: "batch 0 of the upload on all three stores" },
    );
    const victim = liveStores()[0]!.id;
    await killStore(victim);
    staleCopy = { store: victim, key: `datasets/${uploadId}/batch-000000.arrow` };
    // Batch 1 now cannot reach three stores: its write fails at once (the dead store refuses
    // connections) while the client pauses. The rest arrives once the dead store has left
    // membership, when two stores would do: the failure of batch 1 must not be forgotten.
    req.write(secondBatch);
    await waitFor(async () => (await etcd.get(`/dml/nodes/${victim}`).string()) === null, {
      timeoutMs: 10_000,
      message: `${victim} leaves membership`,
    });
    req.end(remainder);
    const { status, body } = await answer;
    expect(status, JSON.stringify(body)).toBe(503);
    expect(body.error.code).toBe("UNAVAILABLE");
    expect(body.error.message).toMatch(/could not write batch 1 to 3 stores/);
    expect(await readManifest(etcd, uploadId)).toBeUndefined();
    await waitFor(
      async () => [...(await objectsOnStores(stores, liveStoreAddresses(), `datasets/${uploadId}/`)).values()].every((keys) => keys.length === 0),
      { timeoutMs: 10_000, message: "the failed upload's batches deleted from the live stores" },
    );
  });

  it("dead stores come back with stale copies: cleanup removes them, repair brings every batch back to 3, data intact", async () => {
    // Every dataset left keeps its bytes: download each now, compare after.
    const ids = (await etcd.getAll().prefix(DATASETS_PREFIX).keys()).map((k) => k.slice(DATASETS_PREFIX.length));
    const before = new Map<string, Buffer>();
    for (const id of ids) before.set(id, await download(base, id));

    for (const id of [...killed]) {
      await cluster.startNode("store", { id });
      killed.delete(id);
    }
    expect(liveStores()).toHaveLength(5);
    await waitUntilNone(settled, { timeoutMs: 30_000, intervalMs: 500, message: "stores and manifests agree again" });
    // The failed upload's batch 0, left on the store that died, was found and deleted.
    const leader = cluster.node((await cluster.leadership(etcd))!.leaderId);
    await leader.waitForLine((e) => e["msg"] === "deleted orphan object" && e["store"] === staleCopy?.store && e["key"] === staleCopy?.key, 1_000);
    for (const id of ids) {
      expect((await getDataset(base, id)).replicas).toBe(3);
      expect((await download(base, id)).equals(before.get(id)!), `dataset ${id} downloads the same`).toBe(true);
    }
  });
});
