import { describe, expect, it } from "vitest";
import { ModelCache, type Loaded } from "./model-cache.js";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const sized = (bytes: number) => async (id: string): Promise<Loaded<string>> => ({ value: `model ${id}`, bytes });

describe("ModelCache", () => {
  it("loads a model once for concurrent callers, then serves hits", async () => {
    const cache = new ModelCache<string>(1000);
    const gate = deferred<Loaded<string>>();
    let loads = 0;
    const load = () => {
      loads++;
      return gate.promise;
    };
    const calls = [cache.get("a", load), cache.get("a", load), cache.get("a", load)];
    gate.resolve({ value: "A", bytes: 10 });
    const results = await Promise.all(calls);
    expect(loads).toBe(1);
    expect(results.map((r) => r.value)).toEqual(["A", "A", "A"]);
    expect(results.every((r) => !r.hit)).toBe(true);
    expect(await cache.get("a", load)).toEqual({ value: "A", hit: true });
    expect(cache.peek("a")).toBe("A");
    expect(cache.list()[0]).toMatchObject({ id: "a", bytes: 10, hits: 2 });
  });

  it("shares a failed load with its waiters and retries on the next call", async () => {
    const cache = new ModelCache<string>(1000);
    const gate = deferred<Loaded<string>>();
    const calls = [cache.get("a", () => gate.promise), cache.get("a", () => gate.promise)];
    gate.reject(new Error("store down"));
    for (const c of calls) await expect(c).rejects.toThrow("store down");
    expect(await cache.get("a", sized(5))).toEqual({ value: "model a", hit: false });
  });

  it("evicts the least recently used models when the total size passes the capacity", async () => {
    const cache = new ModelCache<string>(100);
    await cache.get("a", sized(40));
    await cache.get("b", sized(40));
    cache.peek("a"); // a is now more recent than b
    await cache.get("c", sized(40));
    expect(cache.list().map((e) => e.id)).toEqual(["c", "a"]);
    expect(cache.bytes).toBe(80);
    await cache.get("d", sized(90));
    expect(cache.list().map((e) => e.id)).toEqual(["d"]);
    expect(cache.bytes).toBe(90);
  });

  it("keeps a model bigger than the whole cache (alone) rather than reloading it per call", async () => {
    const cache = new ModelCache<string>(50);
    await cache.get("a", sized(10));
    await cache.get("big", sized(500));
    expect(cache.list().map((e) => e.id)).toEqual(["big"]);
    expect((await cache.get("big", sized(500))).hit).toBe(true);
  });

  it("evicts on request, and does not keep a model evicted while it was loading", async () => {
    const cache = new ModelCache<string>(100);
    await cache.get("a", sized(10));
    expect(cache.evict("a")).toBe(true);
    expect(cache.evict("a")).toBe(false);
    expect(cache.bytes).toBe(0);
    const gate = deferred<Loaded<string>>();
    const pending = cache.get("b", () => gate.promise);
    expect(cache.evict("b")).toBe(true);
    gate.resolve({ value: "B", bytes: 10 });
    expect((await pending).value).toBe("B");
    expect(cache.list()).toEqual([]);
  });

  it("lists most recently used first with load and use times", async () => {
    let now = 1000;
    const cache = new ModelCache<string>(100, () => now);
    await cache.get("a", sized(1));
    now = 2000;
    await cache.get("b", sized(1));
    now = 3000;
    cache.peek("a");
    expect(cache.list()).toMatchObject([
      { id: "a", loadedAt: 1000, lastUsedAt: 3000, hits: 1 },
      { id: "b", loadedAt: 2000, lastUsedAt: 2000, hits: 0 },
    ]);
  });
});
