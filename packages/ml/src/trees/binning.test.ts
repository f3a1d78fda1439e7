import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { binColumn, binColumnSorted } from "./binning.js";

describe("binColumn", () => {
  it("gives the sort-based cut points and codes", () => {
    const rng = new Random(11);
    const n = 20_000;
    const columns: [string, (i: number) => number][] = [
      ["normal", () => rng.normal()],
      ["many ties", () => Math.round(rng.normal() * 40) / 4],
      ["few values", () => rng.int(7) - 3],
      ["one value", () => 2.5],
      ["heavy tie + spread", (i) => (i % 3 ? 1 : rng.normal())],
      ["signed zeros", (i) => (i % 5 === 0 ? -0 : i % 5 === 1 ? 0 : rng.normal() * 1e-3)],
      ["wide range", () => rng.normal() * 10 ** (rng.int(40) - 20)],
      ["exponential", () => -Math.log(rng.next() + 1e-300) * 1e6],
      ["infinities", (i) => (i % 97 === 0 ? (i % 2 ? Infinity : -Infinity) : rng.normal())],
      // one bucket (equal high words): the sort of a large segment
      ["clustered", () => 1 + rng.next() * 1e-9],
      ["clustered + ties", () => 1 + rng.int(3000) * 1e-12],
    ];
    for (const [name, gen] of columns) {
      const col = Float64Array.from({ length: n }, (_, i) => gen(i));
      for (const maxBins of [256, 16]) {
        const a = new Uint8Array(n);
        const b = new Uint8Array(n);
        const ta = binColumn(col, maxBins, a);
        const tb = binColumnSorted(col, maxBins, b);
        expect(Array.from(ta), name).toEqual(Array.from(tb));
        expect(Buffer.from(a).equals(Buffer.from(b)), name).toBe(true);
      }
    }
  });
});
