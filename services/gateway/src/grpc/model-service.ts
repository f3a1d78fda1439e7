// dml.model.v1.ModelService: converts messages, calls the Models domain (and online prediction
// when a Predictor is given). Errors are DmlErrors from the domain, mapped by the server's one table.
import type { ServiceImplementation } from "nice-grpc";
import type { modelV1 } from "@dml/proto";
import { DmlError, STORE_CHUNK_BYTES } from "@dml/runtime";
import { modelToProto } from "@dml/catalog";
import type { Models } from "../domain/models/models.js";
import type { OnlinePrediction, Predictor } from "../domain/predict/predictor.js";

/** Splits bytes into messages of at most 1 MiB (views, not copies). */
function* slices(data: Uint8Array): Iterable<Buffer> {
  for (let off = 0; off < data.byteLength; off += STORE_CHUNK_BYTES) {
    yield Buffer.from(data.buffer, data.byteOffset + off, Math.min(STORE_CHUNK_BYTES, data.byteLength - off));
  }
}

export function predictionToProto(p: OnlinePrediction): modelV1.PredictResponse {
  return { predictions: p.predictions, probabilities: (p.probabilities ?? []).map((probabilities) => ({ probabilities })) };
}

export function modelService(models: Models, predictor?: Predictor): ServiceImplementation<typeof modelV1.ModelServiceDefinition> {
  return {
    async listModels({ trainingId, datasetId }) {
      return { models: (await models.listRecords({ trainingId, datasetId })).map(modelToProto) };
    },
    async getModel({ modelId }) {
      return { model: modelToProto(await models.record(modelId)) };
    },
    async *downloadModel({ modelId }) {
      const doc = await models.download(modelId);
      for await (const chunk of doc.chunks) for (const piece of slices(chunk)) yield { chunk: piece };
    },
    async deleteModel({ modelId }) {
      await models.delete(modelId);
      return {};
    },
    async predict({ modelId, rows }) {
      if (!predictor) throw new DmlError("UNIMPLEMENTED", "online prediction is not available on this gateway");
      return predictionToProto(await predictor.predict(modelId, rows));
    },
  };
}
