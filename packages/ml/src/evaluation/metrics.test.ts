import { describe, expect, it } from "vitest";
import { accuracy, auc, classificationMetrics, confusionMatrix, logLoss, precisionRecallF1, regressionMetrics, rocAuc, rocCurve, rocCurves, thinCurve } from "./metrics.js";

// Reference numbers computed once with scikit-learn 1.2.1 (Debian python3-sklearn):
//   metrics.accuracy_score, precision_score/recall_score/f1_score(average=..., zero_division=0),
//   roc_auc_score (multi_class="ovr", average="macro"), log_loss(labels=[...]), confusion_matrix,
//   roc_curve (drop_intermediate=True), r2_score, mean_squared_error (squared=True/False),
//   mean_absolute_error; on the fixtures below. The tests do not need python.
const SK = {"binary": {"accuracy": 0.75, "precisionMacro": 0.7571428571428571, "recallMacro": 0.75, "f1Macro": 0.7482517482517481, "precisionWeighted": 0.7571428571428571, "recallWeighted": 0.75, "f1Weighted": 0.7482517482517482, "rocAuc": 0.8333333333333333, "logLoss": 0.4640886332806984, "confusion": [[5, 1], [2, 4]], "roc": {"fpr": [0.0, 0.0, 0.0, 0.16666666666666666, 0.16666666666666666, 0.3333333333333333, 0.5, 1.0], "tpr": [0.0, 0.16666666666666666, 0.5, 0.5, 0.6666666666666666, 0.6666666666666666, 1.0, 1.0], "thr": [1.9, 0.9, 0.7, 0.6, 0.55, 0.4, 0.35, 0.0]}}, "multi": {"accuracy": 0.5833333333333334, "precisionMacro": 0.3904761904761904, "recallMacro": 0.5833333333333334, "f1Macro": 0.4646464646464646, "precisionWeighted": 0.3904761904761904, "recallWeighted": 0.5833333333333334, "f1Weighted": 0.4646464646464646, "rocAuc": 0.9166666666666666, "logLoss": 0.7465698301137552, "confusion": [[4, 0, 0], [1, 3, 0], [2, 2, 0]], "roc": [{"fpr": [0.0, 0.0, 0.0, 0.125, 0.25, 0.25, 0.5, 0.875, 1.0], "tpr": [0.0, 0.25, 0.5, 0.75, 0.75, 1.0, 1.0, 1.0, 1.0], "thr": [1.9, 0.9, 0.7, 0.5, 0.45, 0.4, 0.3, 0.2, 0.1]}, {"fpr": [0.0, 0.0, 0.25, 0.25, 0.625, 0.875, 1.0], "tpr": [0.0, 0.25, 0.75, 1.0, 1.0, 1.0, 1.0], "thr": [1.7, 0.7, 0.5, 0.45, 0.3, 0.2, 0.1]}, {"fpr": [0.0, 0.0, 0.125, 0.25, 0.875, 1.0], "tpr": [0.0, 0.25, 1.0, 1.0, 1.0, 1.0], "thr": [1.4, 0.4, 0.3, 0.25, 0.1, 0.0]}]}, "union": {"precisionMacro": 0.5555555555555555, "recallMacro": 0.4444444444444444, "f1Macro": 0.48888888888888893, "f1Weighted": 0.7333333333333334, "precisionWeighted": 0.8333333333333334}, "constant": {"precisionMacro": 0.3, "recallMacro": 0.5, "f1Macro": 0.37499999999999994, "f1Weighted": 0.4499999999999999, "rocAuc": 0.5, "roc": {"fpr": [0.0, 1.0], "tpr": [0.0, 1.0], "thr": [1.5, 0.5]}}, "reg": {"r2": 0.9634624816086317, "mse": 0.21285714285714283, "rmse": 0.4613644360558612, "mae": 0.41428571428571426}, "regconst": {"r2": 0.0, "r2same": 1.0, "r2diff": 0.0}};

// Fixtures (as given to scikit-learn).
const yb = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0];
const pb = [0.1, 0.9, 0.35, 0.4, 0.8, 0.35, 0.7, 0.35, 0.2, 0.6, 0.55, 0.0];
const predb = pb.map((p) => (p >= 0.5 ? 1 : 0));
const probaB = pb.flatMap((p) => [1 - p, p]);
const ym = [0, 1, 2, 2, 1, 0, 0, 1, 2, 1, 0, 2];
const Pm = [[.7, .2, .1], [.2, .5, .3], [.3, .3, .4], [.1, .6, .3], [.2, .7, .1], [.5, .4, .1], [.4, .35, .25], [.45, .45, .1], [.2, .5, .3], [.3, .6, .1], [.9, .1, 0.0], [.5, .2, .3]];
const predm = [0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0]; // class 2 never predicted (zero division)
const probaM = Pm.flat();
const yr = [3.0, -0.5, 2.0, 7.0, 4.2, 1.1, 0.0];
const pr = [2.5, 0.0, 2.1, 7.8, 3.9, 1.5, -0.3];

function expectClose(actual: Record<string, number | undefined>, expected: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) expect(actual[k], k).toBeCloseTo(expected[k] as number, 12);
}

const CLS = ["accuracy", "precisionMacro", "recallMacro", "f1Macro", "precisionWeighted", "recallWeighted", "f1Weighted", "rocAuc", "logLoss"];

function expectCurve(c: { fpr: number[]; tpr: number[]; thresholds: number[] } | undefined, e: { fpr: number[]; tpr: number[]; thr: number[] }): void {
  expect(c).toBeDefined();
  expect(c!.fpr.length).toBe(e.fpr.length);
  c!.fpr.forEach((v, i) => expect(v).toBeCloseTo(e.fpr[i]!, 12));
  c!.tpr.forEach((v, i) => expect(v).toBeCloseTo(e.tpr[i]!, 12));
  expect(c!.thresholds[0]).toBe(Infinity); // scikit-learn 1.2: max + 1; 1.3+: inf (what the proto documents)
  c!.thresholds.slice(1).forEach((v, i) => expect(v).toBeCloseTo(e.thr[i + 1]!, 12));
}

describe("classification metrics against scikit-learn", () => {
  it("binary", () => {
    const m = classificationMetrics(yb, predb, 2, probaB);
    expectClose(m, SK.binary, CLS);
    expect(Object.keys(m).sort()).toEqual([...CLS].sort());
    expect(confusionMatrix(yb, predb, 2)).toEqual(SK.binary.confusion);
    expectCurve(rocCurve(yb, pb), SK.binary.roc);
    const curves = rocCurves(yb, probaB, 2);
    expect(curves.map((c) => c.positiveClass)).toEqual([1]);
    expectCurve(curves[0]!.curve, SK.binary.roc);
  });

  it("multiclass, a class never predicted", () => {
    const m = classificationMetrics(ym, predm, 3, probaM);
    expectClose(m, SK.multi, CLS);
    expect(confusionMatrix(ym, predm, 3)).toEqual(SK.multi.confusion);
    const curves = rocCurves(ym, probaM, 3);
    curves.forEach((c, k) => expectCurve(c.curve, SK.multi.roc[k]!));
  });

  it("labels are the union of true and predicted labels", () => {
    expectClose(precisionRecallF1([0, 1, 1, 0, 1, 0], [0, 2, 1, 0, 1, 1]), SK.union, Object.keys(SK.union));
  });

  it("constant predictions and scores", () => {
    const y = [0, 1, 1, 0, 1];
    const m = classificationMetrics(y, [1, 1, 1, 1, 1], 2, y.flatMap(() => [0.5, 0.5]));
    expectClose(m, SK.constant, ["precisionMacro", "recallMacro", "f1Macro", "f1Weighted", "rocAuc"]);
    expectCurve(rocCurve(y, [0.5, 0.5, 0.5, 0.5, 0.5]), SK.constant.roc);
  });

  it("metrics undefined for a single-class split are omitted, not NaN", () => {
    const m = classificationMetrics([1, 1, 1], [1, 0, 1], 3, [0.1, 0.8, 0.1, 0.6, 0.3, 0.1, 0.2, 0.7, 0.1]);
    expect(m.rocAuc).toBeUndefined();
    expect("rocAuc" in m).toBe(false);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(Object.values(m).every((v) => Number.isFinite(v))).toBe(true);
    expect(rocAuc([1, 1], [0.2, 0.8, 0.4, 0.6], 2)).toBeUndefined();
    expect(rocCurve([0, 0], [0.1, 0.2])).toBeUndefined();
    expect(classificationMetrics([], [], 2)).toEqual({});
  });

  it("log loss clips zero probabilities", () => {
    // scikit-learn 1.2.1: log_loss([0,1], [[0,1],[1,0]]) and log_loss([0,1,1], [[0,1],[.5,.5],[.2,.8]])
    const l = logLoss([0, 1], [0, 1, 1, 0], 2)!;
    expect(l).toBeCloseTo(36.04365338911715, 10);
    expect(logLoss([0, 1, 1], [0, 1, 0.5, 0.5, 0.2, 0.8], 2)).toBeCloseTo(12.31998137366377, 10);
  });

  it("accuracy and auc helpers", () => {
    expect(accuracy([1, 2, 3], [1, 2, 0])).toBeCloseTo(2 / 3, 15);
    expect(auc([0, 0.5, 1], [0, 1, 1])).toBeCloseTo(0.75, 15);
  });

  it("thins long curves keeping both ends", () => {
    const n = 1000;
    const c = { fpr: Array.from({ length: n }, (_, i) => i / (n - 1)), tpr: Array.from({ length: n }, (_, i) => i / (n - 1)), thresholds: Array.from({ length: n }, (_, i) => n - i) };
    const t = thinCurve(c, 100);
    expect(t.fpr.length).toBe(100);
    expect(t.fpr[0]).toBe(0);
    expect(t.fpr[99]).toBe(1);
  });
});

describe("regression metrics against scikit-learn", () => {
  it("r2, mse, rmse, mae", () => {
    expectClose(regressionMetrics(yr, pr), SK.reg, ["r2", "mse", "rmse", "mae"]);
  });
  it("constant predictions and constant targets", () => {
    expect(regressionMetrics(yr, yr.map(() => 2.4)).r2).toBeCloseTo(SK.regconst.r2, 12);
    expect(regressionMetrics([1, 1], [1, 1]).r2).toBe(SK.regconst.r2same);
    expect(regressionMetrics([1, 1], [1, 2]).r2).toBe(SK.regconst.r2diff);
    expect(regressionMetrics([], [])).toEqual({});
  });
});
