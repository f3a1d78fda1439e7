import { describe, expect, it } from "vitest";
import { fromRows, selectRows } from "../core/matrix.js";
import { naiveBayes } from "./naive-bayes.js";
import { accuracy, classTarget, prepare, regTarget, roundTrip, withConstantColumn } from "../linear/testdata.js";

// References: scikit-learn 1.2.1 (Debian python3-sklearn), GaussianNB() on the same 80/20 split
// (split8020(n, 42), see ../linear/testdata.ts), unscaled features (naive Bayes does not want
// scaling); accuracy_score(ytest, predict(Xtest)) and predict_proba of the first iris test row.
const SK = {
  iris: 0.9666666666666667,
  wine: 0.9722222222222222,
  irisProbaRow0: [4.266678053583186e-194, 1.2415034230928425e-8, 0.9999999875849658],
};

const ctx = { seed: 1 };

describe("naive_bayes (Gaussian)", () => {
  const iris = prepare("iris", false);
  const wine = prepare("wine", false);

  it("matches scikit-learn's accuracy and probabilities", async () => {
    for (const [p, ref] of [
      [iris, SK.iris],
      [wine, SK.wine],
    ] as const) {
      const m = await naiveBayes.fit(p.Xtrain, classTarget(p.ytrain, p.nClasses), {}, ctx);
      expect(Math.abs(accuracy(p.ytest, m.predict(p.Xtest)) - ref)).toBeLessThanOrEqual(0.02);
    }
    const m = await naiveBayes.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, ctx);
    const P = m.predictProba!(selectRows(iris.Xtest, [0]));
    SK.irisProbaRow0.forEach((v, k) => expect(P[k]! / v).toBeCloseTo(1, 9));
  });

  it("round-trips exactly, is deterministic, predicts one row", async () => {
    const m = await naiveBayes.fit(wine.Xtrain, classTarget(wine.ytrain, 3), {}, ctx);
    const loaded = roundTrip(naiveBayes, m, "classification");
    expect(loaded.predict(wine.Xtest)).toEqual(m.predict(wine.Xtest));
    expect(loaded.predictProba!(wine.Xtest)).toEqual(m.predictProba!(wine.Xtest));
    const again = await naiveBayes.fit(wine.Xtrain, classTarget(wine.ytrain, 3), {}, { seed: 99 });
    expect(again.predictProba!(wine.Xtest)).toEqual(m.predictProba!(wine.Xtest));
    expect(m.predict(selectRows(wine.Xtest, [7]))[0]).toBe(m.predict(wine.Xtest)[7]);
  });

  it("a constant column changes nothing; a class absent from training is never predicted", async () => {
    const m = await naiveBayes.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, ctx);
    const mc = await naiveBayes.fit(withConstantColumn(iris.Xtrain), classTarget(iris.ytrain, 3), {}, ctx);
    expect(mc.predict(withConstantColumn(iris.Xtest))).toEqual(m.predict(iris.Xtest));
    const X = fromRows([[0], [0.1], [5], [5.2]]);
    const m4 = await naiveBayes.fit(X, classTarget([0, 0, 2, 2], 4), {}, ctx);
    expect(Array.from(m4.predict(fromRows([[0.05], [5.1], [100]])))).toEqual([0, 2, 2]);
    const P = m4.predictProba!(fromRows([[2.5]]));
    expect(P[1]).toBe(0);
    expect(P[3]).toBe(0);
    expect(P[0]! + P[2]!).toBeCloseTo(1, 12);
  });

  it("all-constant features: finite probabilities from the priors", async () => {
    const X = fromRows([[1], [1], [1]]);
    const m = await naiveBayes.fit(X, classTarget([0, 1, 1], 2), {}, ctx);
    const P = m.predictProba!(fromRows([[1]]));
    expect(P[0]).toBeCloseTo(1 / 3, 12);
    expect(m.predict(fromRows([[1]]))[0]).toBe(1);
  });

  it("refuses bad params by name and regression targets", async () => {
    await expect(naiveBayes.fit(iris.Xtrain, classTarget(iris.ytrain, 3), { var_smoothing: -1 }, ctx)).rejects.toMatchObject({ param: "var_smoothing" });
    await expect(naiveBayes.fit(iris.Xtrain, classTarget(iris.ytrain, 3), { priors: 1 }, ctx)).rejects.toMatchObject({ param: "priors" });
    await expect(naiveBayes.fit(iris.Xtrain, regTarget(iris.ytrain), {}, ctx)).rejects.toThrow(/classification only/);
  });
});
