// dml.trainer.v1.TrainerService: online prediction from the model cache, eviction and status.
// The service is registered before the node's etcd client and store clients exist, so it
// answers UNAVAILABLE until start() hands them over.
import type { Etcd3, Watcher } from "etcd3";
import type { ServiceImplementation } from "nice-grpc";
import { BatchFetcher, MODELS_PREFIX, modelKey } from "@dml/catalog";
import { PredictInputError } from "@dml/ml";
import type { trainerV1 } from "@dml/proto";
import { DmlError, type Logger, type NodeDirectory, type StoreClients } from "@dml/runtime";
import { ModelCache } from "./model-cache.js";
import { loadRegisteredModel, type ModelLoaderDeps } from "./model-loader.js";
import { predictInputError } from "./predict-errors.js";
import type { ServedModel } from "./served-model.js";

export const MAX_PREDICT_ROWS = 10_000;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface ServingOptions {
  nodeId: string;
  slots: number;
  cacheBytes: number;
  /** Running task attempts, for GetTrainerStatus (none when not wired). */
  runningTasks?: () => trainerV1.TrainerTask[];
}

export interface ServingDeps {
  etcd: Etcd3;
  directory: NodeDirectory;
  stores: StoreClients;
  log: Logger;
}

function checkModelId(modelId: string): void {
  if (!ID_PATTERN.test(modelId)) {
    throw new DmlError("INVALID_ARGUMENT", `model_id must match ${ID_PATTERN.source}, got ${JSON.stringify(modelId.slice(0, 80))}`, { field: "model_id" });
  }
}

export class ModelServing {
  readonly cache: ModelCache<ServedModel>;
  private loader: ModelLoaderDeps | undefined;
  private watcher: Watcher | undefined;
  private log: Logger | undefined;
  private readonly load = (id: string) => loadRegisteredModel(this.loader!, id);

  constructor(private readonly options: ServingOptions) {
    this.cache = new ModelCache<ServedModel>(options.cacheBytes);
  }

  start(deps: ServingDeps): void {
    const fetcher = new BatchFetcher({ directory: deps.directory, stores: deps.stores, log: deps.log }, 0);
    this.loader = { etcd: deps.etcd, fetcher };
    this.log = deps.log;
  }

  /**
   * Evicts a cached model as soon as its registry record is deleted. The gateway also asks every
   * trainer to evict on delete, but a trainer that was paused or cut off then would go on serving
   * the deleted model: the watch tells it when it is back (etcd replays what it missed), and each
   * (re)connection of the watch drops every cached model the registry no longer has.
   */
  async followDeletes(): Promise<void> {
    const etcd = this.loader!.etcd;
    const watcher = await etcd.watch().prefix(MODELS_PREFIX).create();
    watcher.on("delete", (kv) => {
      const id = kv.key.toString().slice(MODELS_PREFIX.length);
      if (this.cache.evict(id)) this.log?.info({ modelId: id }, "evicted a deleted model");
    });
    watcher.on("connected", () => void this.dropDeleted(etcd));
    watcher.on("error", (err) => this.log?.warn({ err: err.message }, "model registry watch failed"));
    this.watcher = watcher;
  }

  async stop(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = undefined;
  }

  /** Evicts the cached models whose registry record is gone. */
  private async dropDeleted(etcd: Etcd3): Promise<void> {
    for (const entry of this.cache.list()) {
      const exists = await etcd.get(modelKey(entry.id)).exists().catch(() => true); // unknown: keep it
      if (!exists && this.cache.evict(entry.id)) this.log?.info({ modelId: entry.id }, "evicted a deleted model");
    }
  }

  /** Predicts rows (plain objects: google.protobuf.Struct as ts-proto decodes it). */
  async predict(modelId: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<trainerV1.PredictResponse> {
    checkModelId(modelId);
    if (rows.length === 0 || rows.length > MAX_PREDICT_ROWS) {
      throw new DmlError("INVALID_ARGUMENT", `rows: send 1 to ${MAX_PREDICT_ROWS} rows, got ${rows.length}`, { field: "rows", rows: rows.length });
    }
    // The hot path: a cached model is used synchronously, without a promise per call.
    let model = this.cache.peek(modelId);
    const cacheHit = model !== undefined;
    if (model === undefined) {
      if (!this.loader) throw new DmlError("UNAVAILABLE", "this trainer is starting; try another or retry");
      model = (await this.cache.get(modelId, this.load)).value;
    }
    let result;
    try {
      result = model.predict(rows);
    } catch (err) {
      if (err instanceof PredictInputError) throw predictInputError(err, rows, model.model.features);
      throw err;
    }
    const probabilities: trainerV1.PredictResponse["probabilities"] = [];
    if (result.probabilities) for (const p of result.probabilities) probabilities.push({ probabilities: p });
    return { predictions: result.predictions, probabilities, cacheHit };
  }

  status(): trainerV1.GetTrainerStatusResponse {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      nodeId: this.options.nodeId,
      slots: this.options.slots,
      runningTasks: this.options.runningTasks?.() ?? [],
      cachedModels: this.cache.list().map((e) => ({ modelId: e.id, bytes: e.bytes, hits: e.hits, loadedAt: iso(e.loadedAt), lastUsedAt: iso(e.lastUsedAt) })),
      cacheBytes: this.cache.bytes,
      cacheCapacityBytes: this.cache.capacityBytes,
    };
  }

  service(): ServiceImplementation<typeof trainerV1.TrainerServiceDefinition> {
    return {
      predict: ({ modelId, rows }) => this.predict(modelId, rows),
      evictModel: async ({ modelId }) => {
        checkModelId(modelId);
        return { evicted: this.cache.evict(modelId) };
      },
      getTrainerStatus: async () => this.status(),
    };
  }
}
