// Loads a registered model for serving: its registry record from etcd, the document bytes from a
// store replica (checksum verified, failing over across replicas), then the ML package's loader.
import type { Etcd3 } from "etcd3";
import { BatchFetcher, modelKey, type ModelRecord } from "@dml/catalog";
import { ALGORITHMS, loadModel, parseModel } from "@dml/ml";
import { storeV1 } from "@dml/proto";
import { DmlError } from "@dml/runtime";
import type { Loaded } from "./model-cache.js";
import { serve, type ServedModel } from "./served-model.js";

export interface ModelLoaderDeps {
  etcd: Etcd3;
  /** Built with no byte cache of its own: the model cache holds the loaded model instead. */
  fetcher: BatchFetcher;
}

export async function readModelRecord(etcd: Etcd3, modelId: string): Promise<ModelRecord> {
  const text = await etcd.get(modelKey(modelId)).string();
  if (text === null) throw new DmlError("NOT_FOUND", `model ${modelId} not found`, { modelId });
  return JSON.parse(text) as ModelRecord;
}

export async function loadRegisteredModel(deps: ModelLoaderDeps, modelId: string): Promise<Loaded<ServedModel>> {
  const record = await readModelRecord(deps.etcd, modelId);
  const { key, size, checksum, replicas } = record.object;
  const bytes = await deps.fetcher.fetchObject({ key, size, checksum, replicas, kind: storeV1.ObjectKind.OBJECT_KIND_MODEL, what: `model ${modelId}` });
  try {
    // Validated once here; predict calls then run on the loaded model only.
    return { value: serve(loadModel(parseModel(bytes), ALGORITHMS)), bytes: bytes.byteLength };
  } catch (err) {
    // The bytes passed their checksum, so the document is what was written: an incompatible build.
    throw new DmlError("INTERNAL", `model ${modelId} cannot be loaded by this trainer: ${(err as Error).message}`, { modelId });
  }
}
