// Reads and the create of batch predictions. After creation only the scheduler leader writes the
// task (fenced, in the scheduler).
import type { Etcd3 } from "etcd3";
import { DmlError } from "@dml/runtime";
import { predictionPrefix, predictionSpecKey, type PredictionSpec } from "./predictions.js";
import { jobTaskKey, PREDICTIONS_PREFIX, type TaskRecord } from "./trainings.js";

export interface PredictionSnapshot {
  spec: PredictionSpec;
  task: TaskRecord | undefined;
}

export class PredictionRepository {
  constructor(private readonly etcd: Etcd3) {}

  async create(spec: PredictionSpec, task: TaskRecord): Promise<void> {
    const key = predictionSpecKey(spec.id);
    const res = await this.etcd
      .if(key, "Create", "==", 0)
      .then(this.etcd.put(key).value(JSON.stringify(spec)), this.etcd.put(jobTaskKey("prediction", spec.id, task.id)).value(JSON.stringify(task)))
      .commit();
    if (!res.succeeded) throw new DmlError("ALREADY_EXISTS", `prediction ${spec.id} already exists`);
  }

  async get(id: string): Promise<PredictionSnapshot | undefined> {
    const res = await this.etcd.getAll().prefix(predictionPrefix(id)).strings();
    return this.snapshotOf(res);
  }

  async require(id: string): Promise<PredictionSnapshot> {
    const p = await this.get(id);
    if (!p) throw new DmlError("NOT_FOUND", `prediction ${id} not found`, { predictionId: id });
    return p;
  }

  /** Every prediction (filtered by model and/or dataset when given), newest first. */
  async list(filter: { modelId?: string; datasetId?: string } = {}): Promise<PredictionSnapshot[]> {
    const all = await this.etcd.getAll().prefix(PREDICTIONS_PREFIX).strings();
    const byId = new Map<string, Record<string, string>>();
    for (const [key, value] of Object.entries(all)) {
      const id = key.slice(PREDICTIONS_PREFIX.length).split("/")[0]!;
      byId.set(id, { ...byId.get(id), [key]: value });
    }
    return [...byId.values()]
      .map((kvs) => this.snapshotOf(kvs))
      .filter((p): p is PredictionSnapshot => p !== undefined)
      .filter((p) => (!filter.modelId || p.spec.modelId === filter.modelId) && (!filter.datasetId || p.spec.datasetId === filter.datasetId))
      .sort((a, b) => b.spec.createdAt.localeCompare(a.spec.createdAt) || b.spec.id.localeCompare(a.spec.id));
  }

  private snapshotOf(kvs: Record<string, string>): PredictionSnapshot | undefined {
    let spec: PredictionSpec | undefined;
    let task: TaskRecord | undefined;
    for (const [key, value] of Object.entries(kvs)) {
      if (key.endsWith("/spec")) spec = JSON.parse(value) as PredictionSpec;
      else if (key.includes("/tasks/")) task = JSON.parse(value) as TaskRecord;
    }
    return spec ? { spec, task } : undefined;
  }
}
