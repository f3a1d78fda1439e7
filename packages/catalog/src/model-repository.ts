// Reads and user-side deletes of the model registry (/dml/models/<modelId>). Records are created
// only by the scheduler leader (with the task success that produced them); anyone may read them.
import type { Etcd3 } from "etcd3";
import { DmlError } from "@dml/runtime";
import { MODELS_PREFIX, modelKey, type ModelRecord } from "./trainings.js";

export interface ModelFilter {
  trainingId?: string;
  datasetId?: string;
}

export class ModelRepository {
  constructor(private readonly etcd: Etcd3) {}

  async get(id: string): Promise<ModelRecord | undefined> {
    const raw = await this.etcd.get(modelKey(id)).string();
    return raw ? (JSON.parse(raw) as ModelRecord) : undefined;
  }

  async require(id: string): Promise<ModelRecord> {
    const record = await this.get(id);
    if (!record) throw new DmlError("NOT_FOUND", `model ${id} not found`, { modelId: id });
    return record;
  }

  /** Every model matching the filter (each field applies only when set), newest first. */
  async list(filter: ModelFilter = {}): Promise<ModelRecord[]> {
    const all = await this.etcd.getAll().prefix(MODELS_PREFIX).strings();
    return Object.values(all)
      .map((v) => JSON.parse(v) as ModelRecord)
      .filter((m) => (!filter.trainingId || m.trainingId === filter.trainingId) && (!filter.datasetId || m.datasetId === filter.datasetId))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
  }

  /** Removes the record and returns it; NOT_FOUND when it was not there. */
  async delete(id: string): Promise<ModelRecord> {
    const res = await this.etcd.delete().key(modelKey(id)).getPrevious();
    const prev = res[0];
    if (!prev) throw new DmlError("NOT_FOUND", `model ${id} not found`, { modelId: id });
    return JSON.parse(prev.value.toString()) as ModelRecord;
  }
}
