// ModelService's Predict delegation (with and without a Predictor) and the download's chunking,
// called directly on the implementation with a fake Models domain.
import { describe, expect, it, vi } from "vitest";
import type { CallContext } from "nice-grpc";
import type { Models } from "../domain/models/models.js";
import { modelService, predictionToProto } from "./model-service.js";

const ctx = {} as CallContext;

describe("ModelService.Predict", () => {
  it("answers UNIMPLEMENTED without a predictor", async () => {
    const svc = modelService({} as Models);
    await expect(svc.predict({ modelId: "m-1", rows: [{ x: 1 }] }, ctx)).rejects.toMatchObject({ code: "UNIMPLEMENTED" });
  });

  it("delegates to the predictor and shapes its answer", async () => {
    const predict = vi.fn(async () => ({ predictions: ["a", "b"], probabilities: [{ a: 0.9, b: 0.1 }, { a: 0.2, b: 0.8 }] }));
    const svc = modelService({} as Models, { predict, evictEverywhere: vi.fn() });
    const res = await svc.predict({ modelId: "m-1", rows: [{ x: 1 }, { x: 2 }] }, ctx);
    expect(predict).toHaveBeenCalledWith("m-1", [{ x: 1 }, { x: 2 }]);
    expect(res).toEqual({ predictions: ["a", "b"], probabilities: [{ probabilities: { a: 0.9, b: 0.1 } }, { probabilities: { a: 0.2, b: 0.8 } }] });
  });

  it("sends no probabilities for a regressor", () => {
    expect(predictionToProto({ predictions: [1.5] })).toEqual({ predictions: [1.5], probabilities: [] });
  });
});

describe("ModelService.DownloadModel", () => {
  it("streams the document in messages of at most 1 MiB", async () => {
    const big = new Uint8Array(2.5 * 1024 * 1024).fill(7);
    const models = {
      download: async () => ({ id: "m-1", size: big.length, chunks: (async function* () { yield big; })() }),
    } as unknown as Models;
    const sizes: number[] = [];
    for await (const msg of modelService(models).downloadModel({ modelId: "m-1" }, ctx)) sizes.push(msg.chunk!.length);
    expect(sizes).toEqual([1024 * 1024, 1024 * 1024, 0.5 * 1024 * 1024]);
  });
});
