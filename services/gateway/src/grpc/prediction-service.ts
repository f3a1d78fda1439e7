// dml.prediction.v1.PredictionService: converts messages (the view <-> proto mapping lives here,
// in one place), calls the Predictions domain. Errors are DmlErrors (or gRPC statuses) from the
// domain, mapped by the server's one table.
import type { ServiceImplementation } from "nice-grpc";
import { predictionV1 } from "@dml/proto";
import { STORE_CHUNK_BYTES } from "@dml/runtime";
import type { PredictionView } from "@dml/catalog";
import type { Predictions } from "../domain/predictions/predictions.js";
import type { PredictionResultRow } from "../domain/predictions/result-rows.js";
import { DEFAULT_LIMIT } from "../domain/predictions/validate.js";

const { PredictionState } = predictionV1;

const STATE: Record<PredictionView["state"], predictionV1.PredictionState> = {
  queued: PredictionState.PREDICTION_STATE_QUEUED,
  running: PredictionState.PREDICTION_STATE_RUNNING,
  succeeded: PredictionState.PREDICTION_STATE_SUCCEEDED,
  failed: PredictionState.PREDICTION_STATE_FAILED,
  // Predictions cannot be cancelled; should a record say so, it ended without results.
  cancelled: PredictionState.PREDICTION_STATE_FAILED,
};

export function predictionStateEnum(state: PredictionView["state"]): predictionV1.PredictionState {
  return STATE[state] ?? PredictionState.PREDICTION_STATE_UNSPECIFIED;
}

/** Unset proto strings are "" where the view leaves a field out. */
export function predictionToProto(p: PredictionView): predictionV1.Prediction {
  return {
    id: p.id,
    modelId: p.modelId,
    datasetId: p.datasetId,
    state: predictionStateEnum(p.state),
    progress: p.progress,
    rows: p.rows,
    metrics: { ...p.metrics },
    error: p.error ?? "",
    trainer: p.trainer ?? "",
    attempts: p.attempts,
    createdAt: p.createdAt,
    finishedAt: p.finishedAt ?? "",
  };
}

/** ts-proto maps google.protobuf.Value to plain JS values: the label or number goes in as is. */
export function resultRowToProto(r: PredictionResultRow): predictionV1.PredictionRow {
  return { row: r.row, prediction: r.prediction, probabilities: { ...r.probabilities } };
}

/** Splits bytes into messages of at most 1 MiB (views, not copies). */
function* slices(data: Uint8Array): Iterable<Buffer> {
  for (let off = 0; off < data.byteLength; off += STORE_CHUNK_BYTES) {
    yield Buffer.from(data.buffer, data.byteOffset + off, Math.min(STORE_CHUNK_BYTES, data.byteLength - off));
  }
}

export function predictionService(predictions: Predictions): ServiceImplementation<typeof predictionV1.PredictionServiceDefinition> {
  return {
    async createPrediction({ modelId, datasetId }) {
      return { prediction: predictionToProto(await predictions.create({ modelId, datasetId })) };
    },
    async getPrediction({ predictionId }) {
      return { prediction: predictionToProto(await predictions.get(predictionId)) };
    },
    async listPredictions({ modelId, datasetId }) {
      return { predictions: (await predictions.list({ modelId, datasetId })).map(predictionToProto) };
    },
    async getPredictionResults({ predictionId, offset, limit }) {
      // limit 0 (unset) means the default page; the domain refuses negatives and over 10000.
      const page = await predictions.results(predictionId, offset, limit === 0 ? DEFAULT_LIMIT : limit);
      return { rows: page.rows.map(resultRowToProto), total: page.total };
    },
    async *downloadPredictionResults({ predictionId }) {
      const csv = await predictions.csv(predictionId);
      for await (const chunk of csv.chunks) for (const piece of slices(chunk)) yield { chunk: piece };
    },
  };
}
