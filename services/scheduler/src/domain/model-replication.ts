// Re-replication of model documents, run by the leader scheduler next to the dataset repair:
// every model in the registry should sit on min(R, live stores) live stores. A document whose
// store died is copied from a surviving replica to the next store in its rendezvous order, and the
// registry record is rewritten in a transaction fenced by the leader revision and by the record's
// own revision (so a concurrent delete is never undone).
import { modelKey, MODELS_PREFIX, type ModelRecord } from "@dml/catalog";
import { storeV1 } from "@dml/proto";
import { repairObject, type RepairDeps } from "./replication-repair.js";

export interface ModelRepairReport {
  modelsChecked: number;
  modelsRepaired: number;
  copies: number;
  /** Models that could not reach their target count (no live source, or every copy failed). */
  modelsShort: number;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((id, i) => id === b[i]);

/** One pass over every registered model; safe to run again at any time. */
export async function repairModelReplication(deps: RepairDeps): Promise<ModelRepairReport> {
  const { etcd, live, copier, writer, log } = deps;
  const report: ModelRepairReport = { modelsChecked: 0, modelsRepaired: 0, copies: 0, modelsShort: 0 };
  const target = Math.min(deps.replication, live.length);
  const liveIds = new Set(live.map((s) => s.id));
  const res = await etcd.getAll().prefix(MODELS_PREFIX).exec();
  for (const kv of res.kvs) {
    report.modelsChecked++;
    const record = JSON.parse(kv.value.toString()) as ModelRecord;
    const held = record.object.replicas;
    const holders = held.filter((id) => liveIds.has(id));
    if (holders.length >= target && holders.length === held.length) continue;
    if (holders.length === 0) {
      // Nothing to copy from; keep the record, those stores may come back with the bytes.
      report.modelsShort++;
      continue;
    }
    const { replicas, copies } = await repairObject({ ...record.object, kind: storeV1.ObjectKind.OBJECT_KIND_MODEL }, live, target, copier, log);
    report.copies += copies;
    if (copies > 0) report.modelsRepaired++;
    if (replicas.length < target) report.modelsShort++;
    // Dead holders are dropped even when no copy could be made: the list names only stores that hold the bytes.
    if (sameList(replicas, held)) continue;
    const updated: ModelRecord = { ...record, object: { ...record.object, replicas } };
    const key = modelKey(record.id);
    const ok = await writer.fencedTxn([etcd.put(key).value(JSON.stringify(updated))], [{ key, target: "Mod", cmp: "==", value: String(kv.mod_revision) }]);
    if (ok) log.info({ modelId: record.id, replicas }, "model re-replicated");
    else log.info({ modelId: record.id }, "model changed during repair; the next pass picks it up");
  }
  return report;
}
