import { describe, expect, it } from "vitest";
import { fromRows, matrix, selectRows, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";
import { knn } from "./knn.js";
import { accuracy, classTarget, prepare, r2, regTarget, roundTrip, withConstantColumn } from "../linear/testdata.js";

// References: scikit-learn 1.2.1 (Debian python3-sklearn) on the same 80/20 split
// (split8020(n, 42), see ../linear/testdata.ts) and the same train-split standardisation:
// KNeighborsClassifier() / KNeighborsClassifier(3, weights="distance") -> accuracy_score (iris, wine),
// KNeighborsRegressor() / KNeighborsRegressor(7, weights="distance") -> r2_score (diabetes).
const SK = {
  iris: 0.9333333333333333,
  irisDist3: 1.0,
  wine: 0.9444444444444444,
  wineDist3: 0.9166666666666666,
  diabetes: 0.320082162709141,
  diabetesDist7: 0.3675084104237355,
};

const ctx = { seed: 1 };

describe("knn", () => {
  const iris = prepare("iris", true);
  const wine = prepare("wine", true);
  const diab = prepare("diabetes", true);

  it("matches scikit-learn's accuracy (classification)", async () => {
    for (const [p, prm, ref] of [
      [iris, {}, SK.iris],
      [iris, { n_neighbors: 3, weights: "distance" }, SK.irisDist3],
      [wine, {}, SK.wine],
      [wine, { n_neighbors: 3, weights: "distance" }, SK.wineDist3],
    ] as const) {
      const m = await knn.fit(p.Xtrain, classTarget(p.ytrain, p.nClasses), prm, ctx);
      expect(Math.abs(accuracy(p.ytest, m.predict(p.Xtest)) - ref)).toBeLessThanOrEqual(0.02);
    }
  });

  it("matches scikit-learn's R2 (regression)", async () => {
    const m = await knn.fit(diab.Xtrain, regTarget(diab.ytrain), {}, ctx);
    expect(r2(diab.ytest, m.predict(diab.Xtest))).toBeCloseTo(SK.diabetes, 6);
    const md = await knn.fit(diab.Xtrain, regTarget(diab.ytrain), { n_neighbors: 7, weights: "distance" }, ctx);
    expect(r2(diab.ytest, md.predict(diab.Xtest))).toBeCloseTo(SK.diabetesDist7, 6);
  });

  it("round-trips exactly, is deterministic, predicts one row", async () => {
    const m = await knn.fit(wine.Xtrain, classTarget(wine.ytrain, 3), { weights: "distance" }, ctx);
    const loaded = roundTrip(knn, m, "classification");
    expect(loaded.predict(wine.Xtest)).toEqual(m.predict(wine.Xtest));
    expect(loaded.predictProba!(wine.Xtest)).toEqual(m.predictProba!(wine.Xtest));
    const again = await knn.fit(wine.Xtrain, classTarget(wine.ytrain, 3), { weights: "distance" }, { seed: 5 });
    expect(again.predictProba!(wine.Xtest)).toEqual(m.predictProba!(wine.Xtest));
    expect(m.predict(selectRows(wine.Xtest, [2]))[0]).toBe(m.predict(wine.Xtest)[2]);
    const r = await knn.fit(diab.Xtrain, regTarget(diab.ytrain), {}, ctx);
    expect(roundTrip(knn, r, "regression").predict(diab.Xtest)).toEqual(r.predict(diab.Xtest));
  });

  it("probabilities: neighbour shares; exact matches take all the weight with distance weights", async () => {
    const X = fromRows([[0], [1], [2], [10], [11]]);
    const m = await knn.fit(X, classTarget([0, 0, 1, 1, 1], 2), { n_neighbors: 3 }, ctx);
    expect(Array.from(m.predictProba!(fromRows([[0.9]])))).toEqual([2 / 3, 1 / 3]);
    const md = await knn.fit(X, classTarget([0, 0, 1, 1, 1], 2), { n_neighbors: 3, weights: "distance" }, ctx);
    expect(Array.from(md.predictProba!(fromRows([[2]])))).toEqual([0, 1]);
    // n_neighbors beyond the training size is clamped.
    const big = await knn.fit(X, regTarget([1, 2, 3, 4, 5]), { n_neighbors: 50 }, ctx);
    expect(big.predict(fromRows([[0]]))[0]).toBeCloseTo(3, 12);
  });

  it("a constant column changes nothing", async () => {
    const m = await knn.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, ctx);
    const mc = await knn.fit(withConstantColumn(iris.Xtrain), classTarget(iris.ytrain, 3), {}, ctx);
    expect(mc.predict(withConstantColumn(iris.Xtest))).toEqual(m.predict(iris.Xtest));
  });

  it("refuses bad params by name", async () => {
    for (const [bad, name] of [
      [{ n_neighbors: 0 }, "n_neighbors"],
      [{ n_neighbors: 2.5 }, "n_neighbors"],
      [{ weights: "gaussian" }, "weights"],
      [{ metric: "manhattan" }, "metric"],
    ] as const) {
      await expect(knn.fit(iris.Xtrain, classTarget(iris.ytrain, 3), bad, ctx)).rejects.toMatchObject({ param: name });
    }
  });

  it("the screened scan finds exactly the plain scan's neighbours (ties to the lower index)", async () => {
    // plain scan: squared distances, nearest first, ties by index; prediction = mean of y
    const brute = (Xt: Matrix, y: number[], Xq: Matrix, k: number): number[] =>
      Array.from({ length: Xq.rows }, (_, q) => {
        const d2 = Array.from({ length: Xt.rows }, (_, t) => {
          let s = 0;
          for (let j = 0; j < Xt.cols; j++) s += (Xq.data[j * Xq.rows + q]! - Xt.data[j * Xt.rows + t]!) ** 2;
          return [s, t] as const;
        });
        d2.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        return d2.slice(0, k).reduce((acc, [, t]) => acc + y[t]!, 0) / k;
      });
    const rng = new Random(7);
    const make = (rows: number, cols: number, v: () => number): Matrix => {
      const m = matrix(rows, cols);
      for (let i = 0; i < m.data.length; i++) m.data[i] = v();
      return m;
    };
    const cases: [Matrix, Matrix, number][] = [
      // continuous, queries partly far outside the training range
      [make(300, 5, () => rng.normal()), make(60, 5, () => 3 * rng.normal()), 5],
      // a small integer grid: many exact ties
      [make(200, 4, () => rng.int(3)), make(40, 4, () => rng.int(3)), 3],
      // many features (the float scan)
      [make(50, 700, () => rng.normal()), make(7, 700, () => rng.normal()), 4],
    ];
    for (const [Xt, Xq, k] of cases) {
      const y = Array.from({ length: Xt.rows }, (_, i) => i * i);
      const m = await knn.fit(Xt, regTarget(y), { n_neighbors: k }, ctx);
      expect(Array.from(m.predict(Xq))).toEqual(brute(Xt, y, Xq, k));
    }
  });
});
