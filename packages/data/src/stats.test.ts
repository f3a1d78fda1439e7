import { describe, expect, it } from "vitest";
import { NumberCounts, SpaceSaving, topCounted } from "./frequency.js";
import { hashNumber } from "./hash.js";
import { HyperLogLog } from "./hyperloglog.js";
import { ColumnStatsBuilder } from "./stats.js";

describe("ColumnStatsBuilder: numbers", () => {
  it("computes min, max, mean and sample std as by hand", () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, sample variance 32/7.
    const b = new ColumnStatsBuilder();
    for (const v of [2, 4, 4, 4, 5, 5, 7, 9]) b.addNumber(v);
    b.addMissing(3);
    const s = b.summarize("integer");
    expect(b.missing).toBe(3);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(s.distinct).toBe(5);
    expect(s.topValues).toBeUndefined();
    expect(Object.keys(s)).toEqual(["min", "max", "mean", "std", "distinct"]);
  });

  it("stays accurate where a naive sum of squares cancels (large offset)", () => {
    const b = new ColumnStatsBuilder();
    for (const v of [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]) b.addNumber(v);
    const s = b.summarize("number");
    expect(s.mean).toBe(1e9 + 10);
    expect(s.std).toBeCloseTo(Math.sqrt(90 / 3), 9); // deviations -6, -3, 3, 6
  });

  it("merges batch builders into the same result as one pass (Chan et al.)", () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100 + i / 7);
    const one = new ColumnStatsBuilder();
    for (const v of values) one.addNumber(v);
    const merged = new ColumnStatsBuilder();
    for (let at = 0; at < values.length; at += 137) {
      const part = new ColumnStatsBuilder();
      for (const v of values.slice(at, at + 137)) part.addNumber(v);
      part.addMissing(1);
      merged.merge(part);
    }
    const a = one.summarize("number");
    const b = merged.summarize("number");
    expect(b.min).toBe(a.min);
    expect(b.max).toBe(a.max);
    expect(b.mean!).toBeCloseTo(a.mean!, 12);
    expect(b.std!).toBeCloseTo(a.std!, 12);
    expect(b.distinct).toBe(1000);
    expect(merged.missing).toBe(8);
  });

  it("gives the same stats batch-wise (addNumbers) as value by value", () => {
    const values = Float64Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? Infinity : Math.cos(i) * 1e6 + (i % 13)));
    const valid = Uint8Array.from({ length: 5000 }, (_, i) => (i % 11 === 0 ? 0 : 1));
    const one = new ColumnStatsBuilder();
    values.forEach((v, i) => valid[i] === 1 && one.addNumber(v));
    const batched = new ColumnStatsBuilder();
    for (let at = 0; at < 5000; at += 1024) batched.addNumbers(values.subarray(at, at + 1024), valid.subarray(at, at + 1024), Math.min(1024, 5000 - at));
    const a = one.summarize("number");
    const b = batched.summarize("number");
    expect([b.min, b.max, b.distinct]).toEqual([a.min, a.max, a.distinct]);
    expect(b.mean!).toBeCloseTo(a.mean!, 6);
    expect(b.std! / a.std!).toBeCloseTo(1, 12);
  });

  it("leaves infinities out of min/max/mean/std but counts them as values", () => {
    const b = new ColumnStatsBuilder();
    for (const v of [1, 3, Infinity, -Infinity]) b.addNumber(v);
    expect(b.summarize("number")).toEqual({ min: 1, max: 3, mean: 2, std: Math.SQRT2, distinct: 4 });
  });

  it("counts -0 and 0 as one value and omits std for a single value", () => {
    const b = new ColumnStatsBuilder();
    b.addNumber(0);
    b.addNumber(-0);
    expect(b.summarize("number").distinct).toBe(1);
    const one = new ColumnStatsBuilder();
    one.addNumber(5);
    expect(one.summarize("number")).toEqual({ min: 5, max: 5, mean: 5, distinct: 1 });
    expect(new ColumnStatsBuilder().summarize("number")).toEqual({ distinct: 0 });
  });

  it("switches to an estimate past the exact limit", () => {
    const b = new ColumnStatsBuilder({ numberDistinctLimit: 1000 });
    for (let i = 0; i < 20_000; i++) b.addNumber(i % 10_000);
    const s = b.summarize("number");
    expect(s.distinctApproximate).toBe(true);
    expect(Math.abs(s.distinct - 10_000) / 10_000).toBeLessThan(0.05);
    expect(s.mean).toBeCloseTo(4999.5, 9);
  });

  it("counts numbers exactly up to 10,000 distinct values by default, then estimates", () => {
    const exact = new ColumnStatsBuilder();
    const values = Float64Array.from({ length: 10_000 }, (_, i) => i * 0.5 - 100);
    exact.addNumbers(values, new Uint8Array(values.length).fill(1), values.length);
    expect(exact.summarize("number").distinct).toBe(10_000);
    expect(exact.summarize("number").distinctApproximate).toBeUndefined();
    exact.addNumber(1e9);
    const s = exact.summarize("number");
    expect(s.distinctApproximate).toBe(true);
    expect(Math.abs(s.distinct - 10_001) / 10_001).toBeLessThan(0.03);
  });

  it("batch-wise: switches mid-batch and counts the rest of the batch in the estimate", () => {
    const b = new ColumnStatsBuilder({ numberDistinctLimit: 1000 });
    // Two batches of 30,000 values; 40,000 distinct in all (the second batch repeats 20,000),
    // with -0 and 0 (one value) and some missing rows.
    const batch = (from: number) => Float64Array.from({ length: 30_000 }, (_, i) => (i === 0 ? -0 : i === 1 ? 0 : (from + i) / 7));
    const valid = new Uint8Array(30_000).fill(1);
    for (let i = 2; i < 30_000; i += 97) valid[i] = 0;
    const missing = valid.filter((v) => v === 0).length;
    b.addNumbers(batch(0), valid, 30_000);
    b.addNumbers(batch(10_000), valid, 30_000);
    const exactDistinct = new Set([...batch(0).filter((_, i) => valid[i] === 1), ...batch(10_000).filter((_, i) => valid[i] === 1)].map((v) => v + 0)).size;
    expect(exactDistinct).toBeGreaterThan(39_000 - 2 * missing);
    const s = b.summarize("number");
    expect(s.distinctApproximate).toBe(true);
    expect(Math.abs(s.distinct - exactDistinct) / exactDistinct).toBeLessThan(0.03);
    // The moments still see every value.
    const all = [...batch(0).filter((_, i) => valid[i] === 1), ...batch(10_000).filter((_, i) => valid[i] === 1)];
    expect(s.mean).toBeCloseTo(all.reduce((a, v) => a + v, 0) / all.length, 6);
    expect(s.max).toBe(Math.max(...all));
  });
});

describe("ColumnStatsBuilder: booleans and text", () => {
  it("treats true as 1 for boolean stats and lists both values", () => {
    const b = new ColumnStatsBuilder();
    for (const v of [true, true, true, false]) b.addBoolean(v);
    const s = b.summarize("boolean");
    expect(s).toEqual({
      min: 0,
      max: 1,
      mean: 0.75,
      std: Math.sqrt(0.25), // values 1,1,1,0: squared deviations 3*(1/16) + 9/16 = 0.75, over n-1 = 3
      distinct: 2,
      topValues: [
        { value: true, count: 3 },
        { value: false, count: 1 },
      ],
    });
  });

  it("lists up to 10 top values, most frequent first and ties by value", () => {
    const b = new ColumnStatsBuilder();
    const counts: Record<string, number> = { b: 5, a: 5, c: 7, d: 1, e: 1, f: 1, g: 1, h: 1, i: 1, j: 1, k: 1, l: 1 };
    for (const [v, n] of Object.entries(counts)) for (let k = 0; k < n; k++) b.addText(v);
    const s = b.summarize("category");
    expect(s.distinct).toBe(12);
    expect(s.topValues).toEqual([
      { value: "c", count: 7 },
      { value: "a", count: 5 },
      { value: "b", count: 5 },
      ...["d", "e", "f", "g", "h", "i", "j"].map((value) => ({ value, count: 1 })),
    ]);
  });

  it("counts numbers and booleans from batches typed before the column became text under their text", () => {
    const b = new ColumnStatsBuilder();
    b.addNumber(1.5);
    b.addNumber(2);
    b.addBoolean(true);
    b.addText("1.5");
    b.addText("x");
    const s = b.summarize("string");
    expect(s.distinct).toBe(4);
    expect(s.topValues).toEqual([
      { value: "1.5", count: 2 },
      { value: "2", count: 1 },
      { value: "true", count: 1 },
      { value: "x", count: 1 },
    ]);
  });

  it("keeps heavy hitters as approximate top values past the exact limit", () => {
    const b = new ColumnStatsBuilder({ distinctLimit: 500 });
    for (let i = 0; i < 30_000; i++) {
      b.addText(i % 3 === 0 ? "common" : i % 5 === 0 ? "frequent" : `unique-${i}`);
    }
    const s = b.summarize("string");
    expect(s.distinctApproximate).toBe(true);
    expect(s.topValuesApproximate).toBe(true);
    expect(s.topValues![0]).toEqual({ value: "common", count: 10_000 });
    expect(s.topValues![1]!.value).toBe("frequent");
    const exactDistinct = 2 + 30_000 - 10_000 - 4000;
    expect(Math.abs(s.distinct - exactDistinct) / exactDistinct).toBeLessThan(0.05);
  });

  it("merges text builders", () => {
    const a = new ColumnStatsBuilder();
    const b = new ColumnStatsBuilder();
    a.addText("x");
    b.addText("x");
    b.addText("y");
    a.merge(b);
    expect(a.summarize("category").topValues).toEqual([
      { value: "x", count: 2 },
      { value: "y", count: 1 },
    ]);
  });
});

describe("counters", () => {
  it("NumberCounts counts exactly through growth", () => {
    const c = new NumberCounts();
    for (let i = 0; i < 50_000; i++) c.add((i % 20_000) / 3);
    expect(c.size).toBe(20_000);
    let total = 0;
    c.forEach((_, n) => (total += n));
    expect(total).toBe(50_000);
  });

  it("NumberCounts.addAll counts exactly as add() one value at a time (-0 as 0, missing rows skipped, through growth)", () => {
    const n = 30_000;
    const values = new Float64Array(n);
    const valid = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      values[i] = i % 7 === 0 ? (i % 2 === 0 ? -0 : 0) : ((i * 7919) % 12_345) / 8 - 700;
      valid[i] = i % 10 === 3 ? 0 : 1;
    }
    const one = new NumberCounts();
    for (let i = 0; i < n; i++) if (valid[i] === 1) one.add(values[i]!);
    const bulk = new NumberCounts();
    bulk.addAll(values.subarray(0, 1000), valid.subarray(0, 1000), 1000);
    bulk.addAll(values.subarray(1000), valid.subarray(1000), n - 1000);
    const entries = (c: NumberCounts) => {
      const out: Array<[number, number]> = [];
      c.forEach((v, k) => out.push([v, k]));
      return out.sort((a, b) => a[0] - b[0]);
    };
    expect(bulk.size).toBe(one.size);
    expect(entries(bulk)).toEqual(entries(one));
    expect(entries(bulk).some(([v]) => Object.is(v, -0))).toBe(false);
  });

  it("NumberCounts with a capacity: addAll stops past it, and the table never grows beyond what it needs", () => {
    const c = new NumberCounts(10_000);
    const values = Float64Array.from({ length: 65_536 }, (_, i) => i + 0.5);
    const valid = new Uint8Array(values.length).fill(1);
    const stoppedAt = c.addAll(values, valid, values.length, 10_000);
    expect(stoppedAt).toBe(10_001);
    expect(c.size).toBe(10_001);
    // 10,001 values at most half full: 32,768 slots (growing 4x at a time would have made 65,536).
    expect((c as unknown as { keys: Float64Array }).keys.length).toBe(32_768);
  });

  it("NumberCounts.top keeps repeated values first, by count, and fills with singles", () => {
    const c = new NumberCounts();
    for (let i = 0; i < 5000; i++) c.add(i + 0.25);
    for (let r = 0; r < 5; r++) c.add(7.25);
    for (let r = 0; r < 2; r++) c.add(9.25);
    const top = c.top(64);
    expect(top).toHaveLength(64);
    expect(topCounted(top, 2)).toEqual([
      { value: 7.25, count: 6 },
      { value: 9.25, count: 3 },
    ]);
    expect(top.filter((e) => e.count === 1)).toHaveLength(62);
    // More repeated values than places: the most frequent ones.
    const d = new NumberCounts();
    for (let i = 0; i < 200; i++) for (let r = 0; r <= i % 7; r++) d.add(i);
    expect(d.top(10).every((e) => e.count === 7)).toBe(true);
  });

  it("HyperLogLog estimates within a few percent and merges as a union", () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 300_000; i++) a.add(hashNumber(i));
    for (let i = 200_000; i < 500_000; i++) b.add(hashNumber(i));
    expect(Math.abs(a.estimate() - 300_000) / 300_000).toBeLessThan(0.03);
    a.merge(b);
    expect(Math.abs(a.estimate() - 500_000) / 500_000).toBeLessThan(0.03);
    const small = new HyperLogLog();
    for (let i = 0; i < 100; i++) small.add(hashNumber(i));
    expect(small.estimate()).toBe(100);
  });

  it("SpaceSaving keeps every value more frequent than total/capacity", () => {
    const ss = new SpaceSaving<string>(10);
    for (let i = 0; i < 10_000; i++) ss.add(i % 4 === 0 ? "hot" : `cold-${i}`);
    const top = topCounted(ss.entries(), 1);
    expect(top[0]!.value).toBe("hot");
    expect(top[0]!.count).toBeGreaterThanOrEqual(2500);
  });
});
