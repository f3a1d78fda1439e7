import { describe, expect, it } from "vitest";
import { fromRows, selectRows } from "../core/matrix.js";
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
});
