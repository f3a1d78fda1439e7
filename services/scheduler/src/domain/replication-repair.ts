// Re-replication, run by the leader scheduler: every batch of every dataset should sit on
// min(R, live stores) live stores. When a store dies, each batch it held is copied from a
// surviving replica to the next store in the batch's rendezvous order, and the manifest is
// rewritten in a transaction fenced by the leader revision and by the manifest's own revision
// (so a concurrent delete or another repair is never overwritten).
import type { Etcd3 } from "etcd3";
import type { Logger } from "@dml/runtime";
import { rankStores, type TxnCompare } from "@dml/runtime";
import { datasetKey, DATASETS_PREFIX, toProtoChecksum, type BatchManifest, type ChecksumJson, type DatasetManifest } from "@dml/catalog";
import { storeV1 } from "@dml/proto";

export interface LiveStore {
  id: string;
  address: string;
}

/** What repair needs from the stores (StoreClients satisfies it). */
export interface ObjectCopier {
  copyObjectFrom(address: string, req: storeV1.CopyObjectFromRequest): Promise<unknown>;
}

/** What repair needs from leadership (LeaderElection satisfies it). */
export interface FencedWriter {
  fencedTxn(ops: ReturnType<Etcd3["put"]>[], compares: TxnCompare[]): Promise<boolean>;
}

export interface RepairReport {
  datasetsChecked: number;
  batchesRepaired: number;
  copies: number;
  /** Batches that could not reach their target count (no live source, or every copy failed). */
  batchesShort: number;
}

/** A replicated store object as repair sees it: a dataset batch or a model document. */
export interface ReplicatedCopy {
  key: string;
  size: number;
  checksum: ChecksumJson;
  replicas: string[];
  kind: storeV1.ObjectKind;
}

/** Copies one object to stores until it has `target` live replicas; returns the new replica list. */
export async function repairObject(
  obj: ReplicatedCopy,
  live: LiveStore[],
  target: number,
  copier: ObjectCopier,
  log: Logger,
): Promise<{ replicas: string[]; copies: number }> {
  const liveById = new Map(live.map((s) => [s.id, s]));
  const holders = obj.replicas.filter((id) => liveById.has(id));
  if (holders.length >= target || holders.length === 0) return { replicas: holders, copies: 0 };
  const replicas = [...holders];
  let copies = 0;
  for (const candidate of rankStores(obj.key, live)) {
    if (replicas.length >= target) break;
    if (replicas.includes(candidate.id)) continue;
    for (const sourceId of holders) {
      try {
        await copier.copyObjectFrom(candidate.address, {
          key: obj.key,
          sourceAddress: liveById.get(sourceId)!.address,
          size: obj.size,
          checksum: toProtoChecksum(obj.checksum),
          kind: obj.kind,
        });
        replicas.push(candidate.id);
        copies++;
        break;
      } catch (err) {
        log.warn({ key: obj.key, from: sourceId, to: candidate.id, err: (err as Error).message }, "replica copy failed");
      }
    }
  }
  return { replicas, copies };
}

/** Copies one batch to stores until it has `target` live replicas; returns the new replica list. */
export async function repairBatch(
  batch: BatchManifest,
  live: LiveStore[],
  target: number,
  copier: ObjectCopier,
  log: Logger,
): Promise<{ replicas: string[]; copies: number }> {
  const obj = { key: batch.objectKey, size: batch.bytes, checksum: batch.checksum, replicas: batch.replicas, kind: storeV1.ObjectKind.OBJECT_KIND_BATCH };
  return repairObject(obj, live, target, copier, log);
}

/** What a repair pass (datasets' batches or models' files) works with. */
export interface RepairDeps {
  etcd: Etcd3;
  live: LiveStore[];
  replication: number;
  copier: ObjectCopier;
  writer: FencedWriter;
  log: Logger;
}

/** One pass over every dataset; safe to run again at any time. */
export async function repairReplication(deps: RepairDeps): Promise<RepairReport> {
  const { etcd, live, copier, writer, log } = deps;
  const report: RepairReport = { datasetsChecked: 0, batchesRepaired: 0, copies: 0, batchesShort: 0 };
  const res = await etcd.getAll().prefix(DATASETS_PREFIX).exec();
  const liveIds = new Set(live.map((s) => s.id));
  for (const kv of res.kvs) {
    report.datasetsChecked++;
    const manifest = JSON.parse(kv.value.toString()) as DatasetManifest;
    const target = Math.min(manifest.replication, live.length);
    let changed = false;
    const batches: BatchManifest[] = [];
    for (const batch of manifest.batches) {
      const holders = batch.replicas.filter((id) => liveIds.has(id));
      if (holders.length >= target && holders.length === batch.replicas.length) {
        batches.push(batch);
        continue;
      }
      if (holders.length === 0) {
        // Every holder is down: nothing to copy from. Keep the record as it is, since those
        // stores may come back with the bytes.
        report.batchesShort++;
        batches.push(batch);
        continue;
      }
      const { replicas, copies } = await repairBatch(batch, live, target, copier, log);
      report.copies += copies;
      if (copies > 0) report.batchesRepaired++;
      if (replicas.length < target) report.batchesShort++;
      // Dead holders are dropped from the record even when no copy could be made: the list
      // must only name stores that really hold the bytes now.
      if (replicas.length !== batch.replicas.length || replicas.some((id, i) => id !== batch.replicas[i])) changed = true;
      batches.push({ ...batch, replicas });
    }
    if (!changed) continue;
    const updated: DatasetManifest = { ...manifest, batches };
    const key = datasetKey(manifest.id);
    const ok = await writer.fencedTxn(
      [etcd.put(key).value(JSON.stringify(updated))],
      [{ key, target: "Mod", cmp: "==", value: String(kv.mod_revision) }],
    );
    if (ok) log.info({ datasetId: manifest.id, copies: report.copies }, "dataset re-replicated");
    else log.info({ datasetId: manifest.id }, "dataset changed during repair; the next pass picks it up");
  }
  return report;
}
