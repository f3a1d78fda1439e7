import { describe, expect, it } from "vitest";
import { ALGORITHMS, trainModel, type FeatureColumn } from "@dml/ml";
import { ModelServing } from "./model-serving.js";
import { serve } from "./served-model.js";

const columns: FeatureColumn[] = [
  { name: "a", type: "number", values: Float64Array.from({ length: 40 }, (_, i) => i) },
  { name: "b", type: "category", values: Array.from({ length: 40 }, (_, i) => (i % 2 ? "x" : "y")) },
  { name: "label", type: "category", values: Array.from({ length: 40 }, (_, i) => (i < 20 ? "lo" : "hi")) },
];

async function servingWithModel(): Promise<ModelServing> {
  const serving = new ModelServing({ nodeId: "trainer-t", slots: 2, cacheBytes: 1000 });
  const { model } = await trainModel({ columns, target: "label", task: "classification", algorithm: "decision_tree", seed: 1 }, ALGORITHMS);
  await serving.cache.get("m-1", async () => ({ value: serve(model), bytes: 123 }));
  return serving;
}

describe("ModelServing", () => {
  it("predicts from the cache and reports a hit", async () => {
    const serving = await servingWithModel();
    const res = await serving.predict("m-1", [{ a: 3, b: "x" }, { a: 35, b: "y", label: "ignored" }]);
    expect(res).toMatchObject({ predictions: ["lo", "hi"], cacheHit: true });
    expect(res.probabilities[0]!.probabilities).toEqual({ hi: 0, lo: 1 });
  });

  it("refuses bad requests with INVALID_ARGUMENT naming the row and column", async () => {
    const serving = await servingWithModel();
    await expect(serving.predict("m-1", [])).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: /1 to 10000 rows, got 0/ });
    await expect(serving.predict("m-1", Array.from({ length: 10_001 }, () => ({ a: 1, b: "x" })))).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(serving.predict("bad id!", [{ a: 1, b: "x" }])).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: /model_id/ });
    await expect(serving.predict("m-1", [{ a: 1, b: "x" }, { a: "one", b: "x" }])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: /row 1, column "a"/,
      details: { row: 1, column: "a" },
    });
    await expect(serving.predict("m-1", [{ a: 1, B: "x" }])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: /row 0: missing column "b".*does not know: "B"/,
    });
  });

  it("is UNAVAILABLE for a model it would have to load before it is started", async () => {
    const serving = new ModelServing({ nodeId: "trainer-t", slots: 1, cacheBytes: 1000 });
    await expect(serving.predict("m-2", [{ a: 1 }])).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });

  it("reports its cache in GetTrainerStatus and evicts on EvictModel", async () => {
    const serving = await servingWithModel();
    await serving.predict("m-1", [{ a: 1, b: "x" }]);
    const service = serving.service();
    const status = await (service.getTrainerStatus as (req: object) => Promise<ReturnType<ModelServing["status"]>>)({});
    expect(status).toMatchObject({ nodeId: "trainer-t", slots: 2, runningTasks: [], cacheBytes: 123, cacheCapacityBytes: 1000 });
    expect(status.cachedModels).toEqual([{ modelId: "m-1", bytes: 123, hits: 1, loadedAt: expect.any(String), lastUsedAt: expect.any(String) }]);
    const evict = service.evictModel as (req: { modelId: string }) => Promise<{ evicted: boolean }>;
    expect(await evict({ modelId: "m-1" })).toEqual({ evicted: true });
    expect(await evict({ modelId: "m-1" })).toEqual({ evicted: false });
  });
});
