// The models domain behind both edges (REST and gRPC): the registry (list, get, delete) and
// downloads of model documents. Metadata from etcd (ModelRepository), bytes from the stores.
import type { Logger, NodeDirectory, StoreClients } from "@dml/runtime";
import type { ModelRecord, ModelRepository } from "@dml/catalog";
import { checkId } from "../datasets/ids.js";
import type { Predictor } from "../predict/predictor.js";
import { openModelBytes } from "./download.js";
import type { ModelDocument, ModelFilter, ModelView } from "./types.js";
import { modelView } from "./view.js";

export interface ModelsDeps {
  repo: ModelRepository;
  directory: NodeDirectory;
  stores: StoreClients;
  log: Logger;
  /** Online prediction, to drop deleted models from the trainers' caches (absent: nothing to drop). */
  predictor?: Predictor;
}

export class Models {
  constructor(private readonly deps: ModelsDeps) {}

  /** Newest first; each filter applies only when set (INVALID_ARGUMENT for a malformed id). */
  async listRecords(filter: ModelFilter = {}): Promise<ModelRecord[]> {
    if (filter.trainingId) checkId(filter.trainingId, "trainingId");
    if (filter.datasetId) checkId(filter.datasetId, "datasetId");
    return this.deps.repo.list({ trainingId: filter.trainingId || undefined, datasetId: filter.datasetId || undefined });
  }

  async list(filter: ModelFilter = {}): Promise<ModelView[]> {
    return (await this.listRecords(filter)).map((m) => this.view(m));
  }

  /** The record of a model that must exist (INVALID_ARGUMENT / NOT_FOUND otherwise). */
  async record(id: string): Promise<ModelRecord> {
    return this.deps.repo.require(checkId(id, "modelId"));
  }

  async get(id: string): Promise<ModelView> {
    return this.view(await this.record(id));
  }

  /** Checks the model exists and a replica answers (so errors come before any byte), then streams it. */
  async download(id: string): Promise<ModelDocument> {
    const record = await this.record(id);
    return { id: record.id, size: record.object.size, chunks: await openModelBytes(record, this.deps) };
  }

  /**
   * Removes the record first (the model is gone at once), then its bytes on every replica and the
   * trainers' cached copies, best effort: the scheduler's orphan cleanup removes what is left.
   */
  async delete(id: string): Promise<void> {
    const record = await this.deps.repo.delete(checkId(id, "modelId"));
    const failed = await this.deleteCopies(record);
    if (failed > 0) this.deps.log.warn({ modelId: id, failed }, "some model files were not deleted; orphan cleanup will remove them");
    await this.deps.predictor?.evictEverywhere(id).catch((err: Error) => this.deps.log.warn({ modelId: id, err: err.message }, "could not evict the model from every trainer"));
  }

  /** Deletes every listed copy; returns how many deletions failed. A store not in the directory is skipped. */
  private async deleteCopies(record: ModelRecord): Promise<number> {
    const { directory, stores } = this.deps;
    const deletions = record.object.replicas.map(async (storeId) => {
      const node = directory.get(storeId);
      if (!node) return;
      await stores.deleteObject(node.address, record.object.key, { signal: AbortSignal.timeout(10_000) });
    });
    return (await Promise.allSettled(deletions)).filter((r) => r.status === "rejected").length;
  }

  view(record: ModelRecord): ModelView {
    return modelView(record, (storeId) => this.deps.directory.get(storeId)?.state === "up");
  }
}
