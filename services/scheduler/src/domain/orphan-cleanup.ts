// Deletes dataset, model and prediction-result objects nothing refers to: left by an upload whose gateway died, by a
// delete that could not reach every store, by a replica that repair replaced while its store was
// down, by a batch rewritten at ingest, or by a training attempt whose result was never recorded
// (its trainer died or was fenced out). Run by the leader scheduler. An object younger than the
// grace period is left alone: an upload or a repair copy may be about to record it.
import type { Etcd3 } from "etcd3";
import type { Logger } from "@dml/runtime";
import { DATASETS_PREFIX, MODELS_PREFIX, PREDICTIONS_PREFIX, UPLOADS_PREFIX, type DatasetManifest, type ModelRecord, type TaskRecord } from "@dml/catalog";
import type { storeV1 } from "@dml/proto";
import type { LiveStore } from "./replication-repair.js";

export interface ObjectJanitor {
  listObjects(address: string, prefix: string): AsyncIterable<storeV1.ObjectInfo>;
  deleteObject(address: string, key: string): Promise<unknown>;
}

export async function cleanOrphans(deps: {
  etcd: Etcd3;
  live: LiveStore[];
  janitor: ObjectJanitor;
  graceMs: number;
  log: Logger;
  now?: number;
}): Promise<{ deleted: number }> {
  const { etcd, live, janitor, log } = deps;
  const now = deps.now ?? Date.now();
  // Uploads first, then manifests: an upload finishing in between (one transaction records its
  // manifest and deletes its upload key) is then seen in one read or the other. Read the other
  // way round, or at once, its batches could be in neither, and be deleted as orphans.
  const uploads = await etcd.getAll().prefix(UPLOADS_PREFIX).keys();
  const manifests = await etcd.getAll().prefix(DATASETS_PREFIX).strings();
  const models = await etcd.getAll().prefix(MODELS_PREFIX).strings();
  const predictions = await etcd.getAll().prefix(PREDICTIONS_PREFIX).strings();
  // (store id, object key) pairs the manifests and the model registry vouch for.
  const referenced = new Set<string>();
  for (const raw of Object.values(manifests)) {
    const m = JSON.parse(raw) as DatasetManifest;
    for (const b of m.batches) for (const id of b.replicas) referenced.add(`${id}\0${b.objectKey}`);
  }
  for (const raw of Object.values(models)) {
    const m = JSON.parse(raw) as ModelRecord;
    for (const id of m.object.replicas) referenced.add(`${id}\0${m.object.key}`);
  }
  for (const [key, raw] of Object.entries(predictions)) {
    if (!key.includes("/tasks/")) continue;
    for (const r of (JSON.parse(raw) as TaskRecord).results ?? []) for (const id of r.object.replicas) referenced.add(`${id}\0${r.object.key}`);
  }
  const uploading = new Set(uploads.map((k) => k.slice(UPLOADS_PREFIX.length)));
  let deleted = 0;
  for (const store of live) {
    for await (const obj of listAll(janitor, store.address)) {
      const datasetId = obj.key.startsWith("datasets/") ? (obj.key.split("/")[1] ?? "") : "";
      if (referenced.has(`${store.id}\0${obj.key}`) || uploading.has(datasetId)) continue;
      if (now - Date.parse(obj.createdAt) < deps.graceMs) continue;
      await janitor.deleteObject(store.address, obj.key);
      deleted++;
      log.info({ store: store.id, key: obj.key }, "deleted orphan object");
    }
  }
  return { deleted };
}

async function* listAll(janitor: ObjectJanitor, address: string): AsyncIterable<storeV1.ObjectInfo> {
  yield* janitor.listObjects(address, "datasets/");
  yield* janitor.listObjects(address, "models/");
  yield* janitor.listObjects(address, "predictions/");
}
