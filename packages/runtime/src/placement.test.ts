import { describe, expect, it } from "vitest";
import { placeReplicas, rankStores } from "./placement.js";

const stores = ["store-1", "store-2", "store-3", "store-4", "store-5"].map((id) => ({ id }));
const keys = Array.from({ length: 2000 }, (_, i) => `datasets/ds${i % 37}/batch-${String(i).padStart(6, "0")}.arrow`);

describe("rendezvous placement", () => {
  it("is deterministic and independent of the order stores are listed in", () => {
    for (const key of keys.slice(0, 50)) {
      const a = placeReplicas(key, stores, 3).map((s) => s.id);
      const b = placeReplicas(key, [...stores].reverse(), 3).map((s) => s.id);
      expect(a).toEqual(b);
      expect(new Set(a).size).toBe(3);
    }
  });

  it("caps replicas at the number of stores", () => {
    expect(placeReplicas("k", stores.slice(0, 2), 3)).toHaveLength(2);
    expect(placeReplicas("k", [], 3)).toEqual([]);
  });

  it("spreads keys roughly evenly", () => {
    const counts = new Map<string, number>();
    for (const key of keys) {
      for (const s of placeReplicas(key, stores, 3)) counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
    }
    const expected = (keys.length * 3) / stores.length;
    for (const s of stores) {
      expect(counts.get(s.id)!).toBeGreaterThan(expected * 0.85);
      expect(counts.get(s.id)!).toBeLessThan(expected * 1.15);
    }
  });

  it("moves only the keys a departed store held", () => {
    const survivors = stores.filter((s) => s.id !== "store-3");
    for (const key of keys) {
      const before = rankStores(key, stores).map((s) => s.id);
      const after = rankStores(key, survivors).map((s) => s.id);
      // The relative order of the survivors never changes.
      expect(after).toEqual(before.filter((id) => id !== "store-3"));
    }
  });
});
