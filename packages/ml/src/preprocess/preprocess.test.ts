import { describe, expect, it } from "vitest";
import { column } from "../core/matrix.js";
import { LabelEncoder, labelClasses, labelText } from "./labels.js";
import { Preprocessor, validatePreprocessorState, type FeatureColumn } from "./preprocessor.js";

const cols: FeatureColumn[] = [
  { name: "age", type: "integer", values: Float64Array.from([30, NaN, 50, 40, 20]) },
  { name: "income", type: "number", values: [1.5, 2.5, null, 3.5, null] },
  { name: "member", type: "boolean", values: [true, null, false, true, true] },
  { name: "color", type: "category", values: ["red", "blue", null, "red", "green"] },
  { name: "empty", type: "number", values: Float64Array.from([NaN, NaN, NaN, NaN, NaN]) },
];

describe("Preprocessor", () => {
  it("imputes medians / most frequent and one-hot encodes categories", () => {
    const p = Preprocessor.fit(cols);
    expect(p.featureNames).toEqual(["age", "income", "member", "color=blue", "color=green", "color=red", "empty"]);
    expect(Array.from(p.featureSource)).toEqual([0, 1, 2, 3, 3, 3, 4]);
    const X = p.transform(cols);
    expect(Array.from(column(X, 0))).toEqual([30, 35, 50, 40, 20]); // median of 20,30,40,50
    expect(Array.from(column(X, 1))).toEqual([1.5, 2.5, 2.5, 3.5, 2.5]);
    expect(Array.from(column(X, 2))).toEqual([1, 1, 0, 1, 1]); // median of 1,0,1,1 = 1
    expect(Array.from(column(X, 3))).toEqual([0, 1, 0, 0, 0]);
    expect(Array.from(column(X, 5))).toEqual([1, 0, 1, 1, 0]); // null -> most frequent "red"
    expect(Array.from(column(X, 6))).toEqual([0, 0, 0, 0, 0]); // no value in training -> 0
  });

  it("fits on the training rows only", () => {
    const p = Preprocessor.fit(cols, {}, [0, 2]);
    expect(p.state.columns[0]).toMatchObject({ fill: 40 });
    expect(p.featureNames.filter((n) => n.startsWith("color="))).toEqual(["color=red"]);
    const X = p.transform(cols, [1]);
    expect(X.rows).toBe(1);
    expect(X.data[0]).toBe(40);
  });

  it("unseen categories encode as all zeros (one-hot) or the reserved code (ordinal); never throws", () => {
    const p = Preprocessor.fit(cols);
    const X = p.transform([...cols.slice(0, 3), { name: "color", type: "category", values: ["purple", "red", "blue", "blue", null] }, cols[4]!]);
    expect([3, 4, 5].map((j) => X.data[j * 5])).toEqual([0, 0, 0]);
    const many = Array.from({ length: 30 }, (_, i) => `v${i % 25}`).concat(["v0", "v0", "v1"]);
    const c: FeatureColumn[] = [{ name: "s", type: "string", values: many }];
    const q = Preprocessor.fit(c, { maxOneHot: 20, maxCategories: 10 });
    expect(q.featureNames).toEqual(["s"]);
    const st = q.state.columns[0]!;
    expect(st.encoding).toBe("ordinal");
    if (st.encoding !== "ordinal") return;
    expect(st.categories.slice(0, 3)).toEqual(["v0", "v1", "v2"]); // by frequency, then sorted
    expect(st.categories.length).toBe(10);
    const Y = q.transform([{ name: "s", type: "string", values: ["v0", "v1", "v24", "never", null] }]);
    expect(Array.from(Y.data)).toEqual([0, 1, 10, 10, 0]);
  });

  it("standardises non-one-hot columns when asked (std 0 -> 1)", () => {
    const p = Preprocessor.fit(cols, { scale: true });
    const X = p.transform(cols);
    const age = column(X, 0);
    const m = age.reduce((a, b) => a + b, 0) / 5;
    expect(m).toBeCloseTo(0, 12);
    expect(Math.sqrt(age.reduce((a, b) => a + b * b, 0) / 5)).toBeCloseTo(1, 12);
    expect(Array.from(column(X, 5))).toEqual([1, 0, 1, 1, 0]); // one-hot untouched
    expect(Array.from(column(X, 6))).toEqual([0, 0, 0, 0, 0]); // constant: std 1
  });

  it("state is JSON-safe and round trips", () => {
    const p = Preprocessor.fit(cols, { scale: true });
    const q = Preprocessor.fromState(JSON.parse(JSON.stringify(p.state)));
    expect(Array.from(q.transform(cols).data)).toEqual(Array.from(p.transform(cols).data));
    expect(() => validatePreprocessorState({ columns: [{ name: "a", type: "number", encoding: "onehot", fill: null, categories: [] }] })).toThrow(/onehot encoding for a number column/);
    expect(() => validatePreprocessorState({ columns: "x" })).toThrow(/columns must be an array/);
  });

  it("sums encoded importances per input column", () => {
    const p = Preprocessor.fit(cols);
    expect(p.columnSums([0.1, 0.2, 0.05, 0.1, 0.1, 0.15, 0.3])).toEqual({ age: 0.1, income: 0.2, member: 0.05, color: 0.35, empty: 0.3 });
  });

  it("a missing column is an error naming it", () => {
    const p = Preprocessor.fit(cols);
    expect(() => p.transform(cols.slice(1))).toThrow(/missing feature column age/);
  });
});

describe("LabelEncoder", () => {
  // scikit-learn 1.2.1: LabelEncoder().fit([10, 2, -1.5, 2, 33]).classes_ == [-1.5, 2, 10, 33];
  // LabelEncoder().fit(["b","B","a","aa","Z","é"]).classes_ == ["B","Z","a","aa","b","é"].
  it("orders classes like scikit-learn", () => {
    expect(labelClasses([10, 2, -1.5, 2, 33])).toEqual([-1.5, 2, 10, 33]);
    expect(labelClasses(["b", "B", "a", "aa", "Z", "é"])).toEqual(["B", "Z", "a", "aa", "b", "é"]);
    expect(labelClasses([true, false, true])).toEqual([false, true]);
  });
  it("encodes, decodes and renders labels", () => {
    const e = LabelEncoder.fit(["yes", "no", "yes"]);
    expect(Array.from(e.encode(["no", "yes"]))).toEqual([0, 1]);
    expect(e.decode([1, 0])).toEqual(["yes", "no"]);
    expect(() => e.encode(["maybe"])).toThrow(/unknown class label/);
    expect([labelText(1.5), labelText(true), labelText("x")]).toEqual(["1.5", "true", "x"]);
  });
  it("refuses mixed or missing labels", () => {
    expect(() => labelClasses([1, "a"])).toThrow(/mix types/);
    expect(() => labelClasses([1, null])).toThrow(/must be a string, number or boolean/);
    expect(() => labelClasses([1, NaN])).toThrow(/finite/);
  });
});
