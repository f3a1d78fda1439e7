import { describe, expect, it } from "vitest";
import type { ResultObjectJson } from "@dml/catalog";
import { sliceResults } from "./paging.js";

const result = (batchIndex: number, rows: number): ResultObjectJson => ({
  batchIndex,
  rows,
  object: { key: `predictions/p/attempt-1/${batchIndex}.arrow`, size: 1, checksum: { algorithm: "crc32c", value: "0" }, replicas: [] },
});

// 150 rows in batches of 40, 40, 40, 30, recorded out of order.
const results = [result(2, 40), result(0, 40), result(3, 30), result(1, 40)];
const spans = (offset: number, limit: number) => sliceResults(results, offset, limit).map((s) => [s.result.batchIndex, s.offset, s.limit]);

describe("sliceResults", () => {
  it("reads only the objects covering the page, in dataset order", () => {
    expect(spans(0, 10)).toEqual([[0, 0, 10]]);
    expect(spans(30, 20)).toEqual([
      [0, 30, 10],
      [1, 0, 10],
    ]);
    expect(spans(40, 40)).toEqual([[1, 0, 40]]);
    expect(spans(39, 82)).toEqual([
      [0, 39, 1],
      [1, 0, 40],
      [2, 0, 40],
      [3, 0, 1],
    ]);
  });

  it("covers the whole result with a big page, and nothing past its end", () => {
    expect(spans(0, 10_000).reduce((n, [, , take]) => n + take!, 0)).toBe(150);
    expect(spans(140, 100)).toEqual([[3, 20, 10]]);
    expect(spans(150, 10)).toEqual([]);
    expect(spans(1_000, 10)).toEqual([]);
  });

  it("skips empty objects", () => {
    expect(sliceResults([result(0, 0), result(1, 5)], 0, 3).map((s) => [s.result.batchIndex, s.offset, s.limit])).toEqual([[1, 0, 3]]);
  });
});
