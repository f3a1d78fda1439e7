import { describe, expect, it } from "vitest";
import { exp } from "./exp.js";
import { Random } from "./random.js";

describe("exp", () => {
  it("is within a few ulp of Math.exp, and Math.exp's at the edges", () => {
    const rng = new Random(3);
    for (let i = 0; i < 100_000; i++) {
      const x = (rng.next() - 0.5) * (i % 2 ? 1416 : 40);
      const want = Math.exp(x);
      expect(Math.abs(exp(x) - want)).toBeLessThanOrEqual(4 * Number.EPSILON * want);
    }
    for (const x of [0, -0, 1, -1, 708.9, -707.9]) expect(Math.abs(exp(x) - Math.exp(x))).toBeLessThanOrEqual(4 * Number.EPSILON * Math.exp(x));
    for (const x of [709, -708, 710, -746, Infinity, -Infinity, NaN]) expect(exp(x)).toBe(Math.exp(x));
    expect(exp(0)).toBe(1);
  });
});
