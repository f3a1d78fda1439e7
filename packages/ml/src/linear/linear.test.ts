import { describe, expect, it } from "vitest";
import { FitCancelledError } from "../core/estimator.js";
import { fromRows, selectRows } from "../core/matrix.js";
import { ParamError } from "../core/params.js";
import { linearRegression } from "./linear-regression.js";
import { logisticRegression } from "./logistic-regression.js";
import { accuracy, classTarget, prepare, r2, regTarget, roundTrip, withConstantColumn } from "./testdata.js";

// References: scikit-learn 1.2.1 (Debian python3-sklearn) on the same 80/20 split
// (split8020(n, 42), see testdata.ts) and the same StandardScaler-style scaling, dumped to JSON
// and fitted with defaults unless stated:
//   LinearRegression().fit(Xtrain, ytrain); r2_score(ytest, predict(Xtest))  (diabetes)
//   Ridge(alpha=10)                                                           (diabetes)
//   LogisticRegression() / LogisticRegression(C=0.1); accuracy_score          (iris, wine)
const SK = {
  diabetesLinear: 0.48491819873782815,
  diabetesRidge10: 0.4818635033080946,
  irisLogistic: 0.9666666666666667, // n_iter_ 24
  irisLogisticC01: 0.9,
  wineLogistic: 1.0, // n_iter_ 27
  wineLogisticC01: 1.0,
  irisBinaryLogistic: 0.8, // class 1 vs rest
  // predict_proba of the first iris test row, and the intercepts
  irisProbaRow0: [8.449289659442765e-5, 0.04886750292633579, 0.9510480041770697],
  irisIntercept: [-0.01908497956172169, 1.8661152240238783, -1.8470302444621505],
  irisBinaryProbaRow0: [0.7937263964731195, 0.20627360352688048],
};

const ctx = { seed: 1 };

describe("linear_regression", () => {
  const d = prepare("diabetes", true);

  it("matches scikit-learn's R2 on diabetes (OLS and ridge)", async () => {
    const m = await linearRegression.fit(d.Xtrain, regTarget(d.ytrain), {}, ctx);
    expect(r2(d.ytest, m.predict(d.Xtest))).toBeCloseTo(SK.diabetesLinear, 8);
    const ridge = await linearRegression.fit(d.Xtrain, regTarget(d.ytrain), { alpha: 10 }, ctx);
    expect(r2(d.ytest, ridge.predict(d.Xtest))).toBeCloseTo(SK.diabetesRidge10, 8);
  });

  it("round-trips its state exactly and is deterministic", async () => {
    const m = await linearRegression.fit(d.Xtrain, regTarget(d.ytrain), {}, ctx);
    const again = await linearRegression.fit(d.Xtrain, regTarget(d.ytrain), {}, { seed: 7 });
    expect(roundTrip(linearRegression, m, "regression").predict(d.Xtest)).toEqual(m.predict(d.Xtest));
    expect(again.predict(d.Xtest)).toEqual(m.predict(d.Xtest));
  });

  it("survives a constant column and a duplicated column", async () => {
    const Xc = withConstantColumn(d.Xtrain);
    const m = await linearRegression.fit(Xc, regTarget(d.ytrain), {}, ctx);
    expect(r2(d.ytest, m.predict(withConstantColumn(d.Xtest)))).toBeCloseTo(SK.diabetesLinear, 6);
    const dup = fromRows([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    const m2 = await linearRegression.fit(dup, regTarget([3, 5, 7, 9]), {}, ctx);
    const pred = m2.predict(fromRows([[5, 5]]));
    expect(pred[0]).toBeCloseTo(11, 6);
  });

  it("predicts one row, refuses bad params and classification", async () => {
    const m = await linearRegression.fit(d.Xtrain, regTarget(d.ytrain), {}, ctx);
    expect(m.predict(selectRows(d.Xtest, [3]))[0]).toBeCloseTo(m.predict(d.Xtest)[3]!, 12);
    await expect(linearRegression.fit(d.Xtrain, regTarget(d.ytrain), { alpha: -1 }, ctx)).rejects.toMatchObject({ name: "ParamError", param: "alpha" });
    await expect(linearRegression.fit(d.Xtrain, regTarget(d.ytrain), { alpah: 1 }, ctx)).rejects.toBeInstanceOf(ParamError);
    await expect(linearRegression.fit(d.Xtrain, classTarget([0], 2), {}, ctx)).rejects.toThrow(/regression only/);
  });
});

describe("logistic_regression", () => {
  const iris = prepare("iris", true);
  const wine = prepare("wine", true);

  it("matches scikit-learn's accuracy on iris and wine (multinomial)", async () => {
    for (const [p, C, ref] of [
      [iris, 1, SK.irisLogistic],
      [iris, 0.1, SK.irisLogisticC01],
      [wine, 1, SK.wineLogistic],
      [wine, 0.1, SK.wineLogisticC01],
    ] as const) {
      const m = await logisticRegression.fit(p.Xtrain, classTarget(p.ytrain, p.nClasses), { C }, ctx);
      expect(Math.abs(accuracy(p.ytest, m.predict(p.Xtest)) - ref)).toBeLessThanOrEqual(0.02);
    }
  });

  it("reaches scikit-learn's optimum (probabilities and intercepts)", async () => {
    const m = await logisticRegression.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, ctx);
    const P = m.predictProba!(selectRows(iris.Xtest, [0]));
    SK.irisProbaRow0.forEach((v, k) => expect(P[k]).toBeCloseTo(v, 5));
    const { intercept } = m.state() as { intercept: Float64Array };
    expect(intercept).toBeInstanceOf(Float64Array);
    SK.irisIntercept.forEach((v, k) => expect(intercept[k]).toBeCloseTo(v, 4));
  });

  it("binary: one weight vector, scikit-learn's accuracy and probabilities", async () => {
    const yb = iris.ytrain.map((v) => (v === 1 ? 1 : 0));
    const m = await logisticRegression.fit(iris.Xtrain, classTarget(yb, 2), {}, ctx);
    expect(accuracy(iris.ytest.map((v) => (v === 1 ? 1 : 0)), m.predict(iris.Xtest))).toBeCloseTo(SK.irisBinaryLogistic, 10);
    const P = m.predictProba!(selectRows(iris.Xtest, [0]));
    expect(P[0]).toBeCloseTo(SK.irisBinaryProbaRow0[0]!, 6);
    expect(P[1]).toBeCloseTo(SK.irisBinaryProbaRow0[1]!, 6);
  });

  it("round-trips exactly, is deterministic, predicts one row, probabilities sum to 1", async () => {
    const m = await logisticRegression.fit(wine.Xtrain, classTarget(wine.ytrain, 3), {}, ctx);
    const loaded = roundTrip(logisticRegression, m, "classification");
    expect(loaded.predict(wine.Xtest)).toEqual(m.predict(wine.Xtest));
    expect(loaded.predictProba!(wine.Xtest)).toEqual(m.predictProba!(wine.Xtest));
    const again = await logisticRegression.fit(wine.Xtrain, classTarget(wine.ytrain, 3), {}, ctx);
    expect(again.predictProba!(wine.Xtest)).toEqual(m.predictProba!(wine.Xtest));
    const one = m.predictProba!(selectRows(wine.Xtest, [5]));
    expect(one.length).toBe(3);
    expect(one[0]! + one[1]! + one[2]!).toBeCloseTo(1, 12);
    expect(m.predict(selectRows(wine.Xtest, [5]))[0]).toBe(m.predict(wine.Xtest)[5]);
  });

  it("handles a constant column", async () => {
    const m = await logisticRegression.fit(withConstantColumn(iris.Xtrain), classTarget(iris.ytrain, 3), {}, ctx);
    expect(Math.abs(accuracy(iris.ytest, m.predict(withConstantColumn(iris.Xtest))) - SK.irisLogistic)).toBeLessThanOrEqual(0.02);
  });

  it("reports progress per iteration and stops on cancel", async () => {
    const seen: string[] = [];
    await logisticRegression.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, { seed: 1, onProgress: (p) => seen.push(p.message) });
    expect(seen).toContain("iteration 5");
    expect(seen.at(-1)).toMatch(/^done after \d+ iterations/);
    const ac = new AbortController();
    const run = logisticRegression.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, {
      seed: 1,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.message === "iteration 3") ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(FitCancelledError);
  });

  it("refuses bad params by name and regression targets", async () => {
    for (const [bad, name] of [
      [{ C: 0 }, "C"],
      [{ max_iter: 0.5 }, "max_iter"],
      [{ tol: "x" }, "tol"],
      [{ penalty: "l1" }, "penalty"],
    ] as const) {
      await expect(logisticRegression.fit(iris.Xtrain, classTarget(iris.ytrain, 3), bad, ctx)).rejects.toMatchObject({ param: name });
    }
    await expect(logisticRegression.fit(iris.Xtrain, regTarget(iris.ytrain), {}, ctx)).rejects.toThrow(/classification only/);
  });
});
