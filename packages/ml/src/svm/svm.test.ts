import { describe, expect, it } from "vitest";
import { FitCancelledError } from "../core/estimator.js";
import { fromRows, selectRows } from "../core/matrix.js";
import { svm } from "./svm.js";
import { accuracy, classTarget, prepare, regTarget, roundTrip, withConstantColumn } from "../linear/testdata.js";

// References: scikit-learn 1.2.1 (Debian python3-sklearn) on the same 80/20 split
// (split8020(n, 42), see ../linear/testdata.ts) and the same train-split standardisation:
// SVC() / SVC(kernel="linear") / SVC(C=10, gamma="auto") -> accuracy_score and n_support_.sum();
// SVC(decision_function_shape="ovo").decision_function(Xtest[:1]) on wine;
// SVC(kernel="linear") on wine class 0 vs rest (binary; scikit-learn's binary decision_function is
// the negation of libsvm's, which is what our decision() returns).
const SK = {
  iris: { rbf: [0.9666666666666667, 46], linear: [0.9666666666666667, 24], c10auto: [0.9666666666666667, 27] },
  wine: { rbf: [1.0, 60], linear: [0.9722222222222222, 21], c10auto: [1.0, 54] },
  wineOvoRow0: [1.5232649815038646, 1.2132784003042874, 0.6847313047898256],
  wineBinaryLinear: 0.9722222222222222,
  wineBinaryDecision: [3.3720745266842114, -4.109892141891464],
};

const ctx = { seed: 1 };
type Decides = { decision(X: unknown): Float64Array };

describe("svm", () => {
  const iris = prepare("iris", true);
  const wine = prepare("wine", true);
  const variants = { rbf: {}, linear: { kernel: "linear" }, c10auto: { C: 10, gamma: "auto" } } as const;

  it("matches scikit-learn's accuracy and support vector counts", async () => {
    for (const [p, refs] of [
      [iris, SK.iris],
      [wine, SK.wine],
    ] as const) {
      for (const key of ["rbf", "linear", "c10auto"] as const) {
        let done = "";
        const m = await svm.fit(p.Xtrain, classTarget(p.ytrain, p.nClasses), variants[key], { seed: 1, onProgress: (x) => (done = x.message) });
        expect(Math.abs(accuracy(p.ytest, m.predict(p.Xtest)) - refs[key][0])).toBeLessThanOrEqual(0.02);
        expect(done).toBe(`done: ${refs[key][1]} support vectors`);
      }
    }
  });

  it("decision values equal libsvm's (one-vs-one and binary)", async () => {
    const m = await svm.fit(wine.Xtrain, classTarget(wine.ytrain, 3), {}, ctx);
    const D = (m as unknown as Decides).decision(selectRows(wine.Xtest, [0]));
    SK.wineOvoRow0.forEach((v, k) => expect(D[k]).toBeCloseTo(v, 4));
    const yb = wine.ytrain.map((v) => (v === 0 ? 1 : 0));
    const mb = await svm.fit(wine.Xtrain, classTarget(yb, 2), { kernel: "linear" }, ctx);
    expect(accuracy(wine.ytest.map((v) => (v === 0 ? 1 : 0)), mb.predict(wine.Xtest))).toBeCloseTo(SK.wineBinaryLinear, 10);
    const Db = (mb as unknown as Decides).decision(selectRows(wine.Xtest, [0, 1]));
    expect(-Db[0]!).toBeCloseTo(SK.wineBinaryDecision[0]!, 2);
    expect(-Db[1]!).toBeCloseTo(SK.wineBinaryDecision[1]!, 2);
  });

  it("round-trips exactly (no WASM, no refit), is deterministic, predicts one row", async () => {
    const m = await svm.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, ctx);
    const loaded = roundTrip(svm, m, "classification");
    expect(loaded.predict(iris.Xtest)).toEqual(m.predict(iris.Xtest));
    expect(loaded.predictProba!(iris.Xtest)).toEqual(m.predictProba!(iris.Xtest));
    const again = await svm.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, { seed: 3 });
    expect(again.predictProba!(iris.Xtest)).toEqual(m.predictProba!(iris.Xtest));
    expect(m.predict(selectRows(iris.Xtest, [4]))[0]).toBe(m.predict(iris.Xtest)[4]);
  });

  it("probabilities: rows sum to 1; binary is the sigmoid of the decision value", async () => {
    const m = await svm.fit(wine.Xtrain, classTarget(wine.ytrain, 3), {}, ctx);
    const P = m.predictProba!(wine.Xtest);
    const pred = m.predict(wine.Xtest);
    let agree = 0;
    for (let i = 0; i < wine.Xtest.rows; i++) {
      expect(P[i * 3]! + P[i * 3 + 1]! + P[i * 3 + 2]!).toBeCloseTo(1, 6);
      const am = [0, 1, 2].reduce((b, k) => (P[i * 3 + k]! > P[i * 3 + b]! ? k : b), 0);
      if (am === pred[i]) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(wine.Xtest.rows - 1);
    const yb = wine.ytrain.map((v) => (v === 0 ? 1 : 0));
    const mb = await svm.fit(wine.Xtrain, classTarget(yb, 2), {}, ctx);
    const row = selectRows(wine.Xtest, [0]);
    const f = (mb as unknown as Decides).decision(row)[0]!;
    expect(mb.predictProba!(row)[0]).toBeCloseTo(1 / (1 + Math.exp(-f)), 12);
  });

  it("a constant column changes nothing; a class absent from training is never predicted", async () => {
    const m = await svm.fit(iris.Xtrain, classTarget(iris.ytrain, 3), { gamma: 0.25 }, ctx);
    const mc = await svm.fit(withConstantColumn(iris.Xtrain, 0), classTarget(iris.ytrain, 3), { gamma: 0.25 }, ctx);
    expect(mc.predict(withConstantColumn(iris.Xtest, 0))).toEqual(m.predict(iris.Xtest));
    const X = fromRows([[0], [0.2], [3], [3.3]]);
    const m4 = await svm.fit(X, classTarget([0, 0, 2, 2], 4), {}, ctx);
    expect(Array.from(m4.predict(fromRows([[0.1], [3.1], [1.3], [-50], [50]])))).not.toContain(1);
    expect(Array.from(m4.predict(fromRows([[0.1], [3.1]])))).toEqual([0, 2]);
    expect(Array.from(roundTrip(svm, m4, "classification").predict(fromRows([[0.1], [3.1]])))).toEqual([0, 2]);
  });

  it("reports progress per class pair and stops on cancel", async () => {
    const seen: string[] = [];
    await svm.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, { seed: 1, onProgress: (p) => seen.push(p.message) });
    expect(seen).toContain("pair 3/3");
    const ac = new AbortController();
    const run = svm.fit(iris.Xtrain, classTarget(iris.ytrain, 3), {}, {
      seed: 1,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.message === "pair 1/3") ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(FitCancelledError);
  });

  it("refuses bad params by name and regression targets", async () => {
    for (const [bad, name] of [
      [{ kernel: "poly" }, "kernel"],
      [{ C: -1 }, "C"],
      [{ gamma: "wide" }, "gamma"],
      [{ gamma: -0.1 }, "gamma"],
      [{ probability: true }, "probability"],
    ] as const) {
      await expect(svm.fit(iris.Xtrain, classTarget(iris.ytrain, 3), bad, ctx)).rejects.toMatchObject({ param: name });
    }
    await expect(svm.fit(iris.Xtrain, regTarget(iris.ytrain), {}, ctx)).rejects.toThrow(/classification only/);
  });
});
