// The models domain with fake stores: the download's replica failover and read-ahead (never a
// wrong byte out), delete's order and best effort, and the REST view.
import { describe, expect, it, vi } from "vitest";
import { createLogger, DmlError, type NodeDirectory, type ObjectReader, type StoreClients } from "@dml/runtime";
import type { ModelRecord, ModelRepository } from "@dml/catalog";
import type { Predictor } from "../predict/predictor.js";
import { Models } from "./models.js";
import { modelView } from "./view.js";

const log = createLogger({ service: "test", node: "test", level: "silent" });

const record = (replicas = ["s1", "s2", "s3"]): ModelRecord => ({
  id: "m-1",
  algorithm: "knn",
  task: "classification",
  target: "y",
  features: [{ name: "x", type: "number" }],
  classes: ["a", "b"],
  params: { n_neighbors: 5 },
  metrics: { accuracy: 0.9 },
  trainingId: "t-1",
  datasetId: "ds_1",
  createdAt: "2026-11-22T00:00:00.000Z",
  sizeBytes: 6,
  format: "dml-model/1",
  object: { key: "models/m-1.json", size: 6, checksum: { algorithm: "crc32c", value: "abc" }, replicas },
});

function directory(down: string[] = []): NodeDirectory {
  return { get: (id: string) => ({ id, address: `addr-${id}`, state: down.includes(id) ? "down" : "up" }) } as unknown as NodeDirectory;
}

/** A reader that yields `chunks`, then throws `endError` (a failed checksum) if given. */
function reader(chunks: string[], endError?: Error): ObjectReader {
  const close = vi.fn(async () => undefined);
  return {
    info: {} as ObjectReader["info"],
    close,
    chunks: (async function* () {
      for (const c of chunks) yield Buffer.from(c);
      if (endError) throw endError;
    })(),
  };
}

type Opener = (address: string, key?: string, opts?: unknown) => Promise<ObjectReader>;

function models(opts: { open?: Opener; down?: string[]; repo?: Partial<ModelRepository>; deleteObject?: (address: string) => Promise<unknown>; predictor?: Predictor }) {
  const stores = { openObject: vi.fn(opts.open ?? (async () => reader(["abcdef"]))), deleteObject: vi.fn(opts.deleteObject ?? (async () => ({}))) };
  const repo = { require: async () => record(), delete: async () => record(), ...opts.repo } as unknown as ModelRepository;
  const m = new Models({ repo, directory: directory(opts.down), stores: stores as unknown as StoreClients, log, predictor: opts.predictor });
  return { m, stores };
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  let s = "";
  for await (const c of chunks) s += Buffer.from(c).toString();
  return s;
}

const dataLoss = () => new DmlError("DATA_LOSS", "fails its checksum");

describe("Models.download", () => {
  it("streams from the first live replica, skipping down stores", async () => {
    const { m, stores } = models({ down: ["s1"] });
    const doc = await m.download("m-1");
    expect(doc).toMatchObject({ id: "m-1", size: 6 });
    expect(await collect(doc.chunks)).toBe("abcdef");
    expect(stores.openObject.mock.calls.map((c) => c[0])).toEqual(["addr-s2"]);
    expect(stores.openObject.mock.calls[0]![2]).toMatchObject({ expected: { value: "abc" } });
  });

  it("fails over when a replica cannot be opened", async () => {
    const { m, stores } = models({ open: async (a) => (a === "addr-s1" ? Promise.reject(new DmlError("UNAVAILABLE", "gone")) : reader(["abcdef"])) });
    expect(await collect((await m.download("m-1")).chunks)).toBe("abcdef");
    expect(stores.openObject).toHaveBeenCalledTimes(2);
  });

  it("verifies a one-chunk document whole before releasing it, so a corrupt copy is replaced", async () => {
    const bad = reader(["abcdeX"], dataLoss());
    const { m } = models({ open: async (a) => (a === "addr-s1" ? bad : reader(["abcdef"])) });
    expect(await collect((await m.download("m-1")).chunks)).toBe("abcdef");
    expect(bad.close).toHaveBeenCalled();
  });

  it("never releases the last chunk of a copy that fails its checksum mid-stream", async () => {
    const { m } = models({ open: async () => reader(["ab", "cd", "ef"], dataLoss()) });
    const doc = await m.download("m-1");
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const c of doc.chunks) got.push(Buffer.from(c).toString());
      })(),
    ).rejects.toThrow(/checksum/);
    expect(got).toEqual(["ab", "cd"]);
  });

  it("answers DATA_LOSS when every live copy is bad, UNAVAILABLE when none can be reached", async () => {
    await expect(models({ open: async () => reader(["x"], dataLoss()) }).m.download("m-1")).rejects.toMatchObject({ code: "DATA_LOSS" });
    await expect(models({ down: ["s1", "s2", "s3"] }).m.download("m-1")).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });

  it("rejects a malformed id before any lookup", async () => {
    const required = vi.fn();
    await expect(models({ repo: { require: required } }).m.download("../etc")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(required).not.toHaveBeenCalled();
  });
});

describe("Models.delete", () => {
  it("removes the record, then the file on every replica, then the cached copies", async () => {
    const order: string[] = [];
    const predictor = { predict: vi.fn(), evictEverywhere: vi.fn(async (id: string) => void order.push(`evict ${id}`)) };
    const { m } = models({
      repo: { delete: async () => (order.push("record"), record()) },
      deleteObject: async (a) => order.push(`bytes ${a}`),
      predictor,
    });
    await m.delete("m-1");
    expect(order).toEqual(["record", "bytes addr-s1", "bytes addr-s2", "bytes addr-s3", "evict m-1"]);
  });

  it("succeeds when stores or trainers cannot be reached (orphan cleanup finishes the job)", async () => {
    const predictor = { predict: vi.fn(), evictEverywhere: vi.fn(async () => Promise.reject(new Error("no trainer"))) };
    const { m, stores } = models({ deleteObject: async () => Promise.reject(new Error("store down")), predictor });
    await expect(m.delete("m-1")).resolves.toBeUndefined();
    expect(stores.deleteObject).toHaveBeenCalledTimes(3);
  });

  it("passes NOT_FOUND through", async () => {
    const { m } = models({ repo: { delete: async () => Promise.reject(new DmlError("NOT_FOUND", "model m-2 not found")) } });
    await expect(m.delete("m-2")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("modelView", () => {
  it("drops where the bytes live and counts live replicas", () => {
    const v = modelView(record(), (id) => id !== "s2");
    expect(v).not.toHaveProperty("object");
    expect(v.replicas).toBe(2);
    expect(v).toMatchObject({ id: "m-1", sizeBytes: 6, format: "dml-model/1", metrics: { accuracy: 0.9 } });
  });
});
