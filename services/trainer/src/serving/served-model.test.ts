import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ALGORITHMS, trainModel, type AlgorithmName, type FeatureColumn } from "@dml/ml";
import { serve } from "./served-model.js";

function iris(): { columns: FeatureColumn[]; rows: Record<string, unknown>[] } {
  const path = fileURLToPath(new URL("../../../../test/fixtures/iris.csv", import.meta.url));
  const lines = readFileSync(path, "utf8").trim().split("\n");
  const header = lines[0]!.split(",");
  const cells = lines.slice(1).map((l) => l.split(","));
  const columns: FeatureColumn[] = header.map((name, j) =>
    j < 4 ? { name, type: "number", values: Float64Array.from(cells, (c) => Number(c[j])) } : { name, type: "category", values: cells.map((c) => c[j]!) },
  );
  const rows = cells.map((c) => Object.fromEntries(header.map((h, j) => [h, j < 4 ? Number(c[j]) : c[j]])));
  return { columns, rows };
}

describe("serve", () => {
  const { columns, rows } = iris();
  // Plus rows between the classes (where ties and close calls happen) and missing values.
  const probes = [...rows, ...rows.slice(0, 50).map((r, i) => ({ ...r, "petal length (cm)": 2 + i / 10, "petal width (cm)": null }))];
  const cases: Array<[AlgorithmName, Record<string, unknown>]> = [
    ["random_forest", { n_estimators: 15 }],
    ["gradient_boosting", { n_estimators: 10 }],
    ["decision_tree", {}],
    ["logistic_regression", {}],
  ];
  for (const [algorithm, params] of cases) {
    it(`answers exactly as Model.predict for ${algorithm}`, async () => {
      const { model } = await trainModel({ columns, target: "species", task: "classification", algorithm, params, seed: 5 }, ALGORITHMS);
      const served = serve(model);
      expect(served.predict(probes)).toEqual(model.predict(probes));
    });
  }

  it("passes regression models through unchanged", async () => {
    const { model } = await trainModel({ columns, target: "sepal length (cm)", task: "regression", algorithm: "random_forest", params: { n_estimators: 5 }, seed: 5 }, ALGORITHMS);
    expect(serve(model).predict(rows.slice(0, 20))).toEqual(model.predict(rows.slice(0, 20)));
  });
});
