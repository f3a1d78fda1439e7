import { describe, expect, it } from "vitest";
import { column, fromRows } from "../core/matrix.js";
import { permutationImportance } from "./importance.js";
import { kFold, stratifiedKFold, testSize, trainTestSplit } from "./split.js";

const y = Int32Array.from([...Array(50).fill(0), ...Array(30).fill(1), ...Array(20).fill(2)]);

describe("splits", () => {
  it("train/test split is seeded, disjoint, complete and stratified", () => {
    const s = trainTestSplit(100, 0.2, 7, y);
    expect(s.test.length).toBe(20);
    expect(s.train.length).toBe(80);
    expect(new Set([...s.train, ...s.test]).size).toBe(100);
    const counts = [0, 0, 0];
    for (const i of s.test) counts[y[i]!]!++;
    expect(counts).toEqual([10, 6, 4]);
    expect(trainTestSplit(100, 0.2, 7, y)).toEqual(s);
    expect(trainTestSplit(100, 0.2, 8, y).test).not.toEqual(s.test);
    const plain = trainTestSplit(10, 0.25, 1);
    expect(plain.test.length).toBe(3); // ceil like scikit-learn
  });

  it("a class with one row stays in training", () => {
    const s = trainTestSplit(5, 0.5, 1, [0, 0, 0, 0, 1]);
    expect(s.train).toContain(4);
    expect(s.test.length).toBe(3);
  });

  it("refuses impossible sizes", () => {
    expect(() => testSize(1, 0.2)).toThrow(/at least 2 rows/);
    expect(() => testSize(10, 1)).toThrow(/testFraction/);
    expect(() => kFold(3, 5)).toThrow(/cannot make 5 folds/);
  });

  it("k-fold and stratified k-fold partition the rows", () => {
    for (const folds of [kFold(100, 5, 3), stratifiedKFold(y, 5, 3)]) {
      expect(folds.length).toBe(5);
      const all = folds.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
      for (const f of folds) {
        expect(f.test.length).toBe(20);
        expect(f.train.length).toBe(80);
      }
    }
    for (const f of stratifiedKFold(y, 5, 3)) {
      const counts = [0, 0, 0];
      for (const i of f.test) counts[y[i]!]!++;
      expect(counts).toEqual([10, 6, 4]);
    }
  });
});

describe("permutation importance", () => {
  it("an informative column matters, a noise column does not; seeded", async () => {
    const rows = Array.from({ length: 60 }, (_, i) => [i % 2, (i * 7) % 5, (i * 7) % 5]);
    const X = fromRows(rows);
    const target = rows.map((r) => r[0]!);
    // "model": predicts column 0; accuracy as the score.
    const score = (m: typeof X) => {
      const c = column(m, 0);
      let ok = 0;
      for (let i = 0; i < m.rows; i++) if (c[i] === target[i]) ok++;
      return ok / m.rows;
    };
    const imp = await permutationImportance(X, score, [0, 1, 1], 2, { seed: 3 });
    expect(imp.baseline).toBe(1);
    expect(imp.mean[0]).toBeGreaterThan(0.2);
    expect(imp.mean[1]).toBe(0);
    expect(await permutationImportance(X, score, [0, 1, 1], 2, { seed: 3 })).toEqual(imp);
    // Sampled rows: the score gets their index to pick the matching targets.
    const sampled = await permutationImportance(X, (m, rows) => {
      const c = column(m, 0);
      let ok = 0;
      for (let i = 0; i < m.rows; i++) if (c[i] === target[rows[i]!]) ok++;
      return ok / m.rows;
    }, [0, 1, 1], 2, { seed: 3, maxRows: 20 });
    expect(sampled.baseline).toBe(1);
    expect(sampled.mean[0]).toBeGreaterThan(0.2);
  });
});
