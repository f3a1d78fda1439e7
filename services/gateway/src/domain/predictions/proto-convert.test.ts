// The gRPC edge's view <-> proto mapping (in grpc/prediction-service.ts), through real encoding.
import { describe, expect, it } from "vitest";
import { predictionV1 } from "@dml/proto";
import type { PredictionView } from "@dml/catalog";
import { predictionToProto, resultRowToProto } from "../../grpc/prediction-service.js";

const { PredictionState, Prediction, PredictionRow } = predictionV1;

describe("prediction <-> proto", () => {
  it("maps every state, and absent fields to proto defaults", () => {
    const view: PredictionView = { id: "p-1", modelId: "m-1", datasetId: "ds_1", state: "queued", progress: 0, rows: 0, attempts: 0, createdAt: "2024-01-01T00:00:00.000Z" };
    expect(predictionToProto(view)).toEqual({ ...view, state: PredictionState.PREDICTION_STATE_QUEUED, metrics: {}, error: "", trainer: "", finishedAt: "" });
    const states = (["queued", "running", "succeeded", "failed"] as const).map((state) => predictionToProto({ ...view, state }).state);
    expect(states).toEqual([1, 2, 3, 4]);
    const done = predictionToProto({ ...view, state: "succeeded", progress: 1, rows: 150, metrics: { accuracy: 0.96 }, trainer: "trainer-1", attempts: 2, finishedAt: "2024-01-01T00:01:00.000Z" });
    expect(Prediction.decode(Prediction.encode(done).finish())).toEqual(done);
  });

  it.each([["setosa"], [3.25], [true], [null]])("carries a %j prediction as a google.protobuf.Value", (prediction) => {
    const row = resultRowToProto({ row: 7, prediction, ...(typeof prediction === "string" && { probabilities: { setosa: 0.9, virginica: 0.1 } }) });
    const back = PredictionRow.decode(PredictionRow.encode(row).finish());
    expect(back).toEqual({ row: 7, prediction, probabilities: typeof prediction === "string" ? { setosa: 0.9, virginica: 0.1 } : {} });
  });
});
