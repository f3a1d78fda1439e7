import { describe, expect, it } from "vitest";
import { DmlError } from "@dml/runtime";
import type { ColumnManifest } from "@dml/catalog";
import { checkAgainstModel, checkCreateRequest, checkPage, compatible } from "./validate.js";

function errorOf(fn: () => unknown): DmlError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DmlError);
    return err as DmlError;
  }
  throw new Error("expected an error");
}

const column = (name: string, type: ColumnManifest["type"]): ColumnManifest => ({ name, type, missing: 0, stats: { distinct: 3 } });
const model = { id: "m-1", features: [{ name: "a", type: "number" }, { name: "flag", type: "boolean" }, { name: "colour", type: "category" }] };
const dataset = (columns: ColumnManifest[]) => ({ id: "ds_1", columns });

describe("checkCreateRequest", () => {
  it("accepts {modelId, datasetId}", () => {
    expect(checkCreateRequest({ modelId: "m-1", datasetId: "ds_1" })).toEqual({ modelId: "m-1", datasetId: "ds_1" });
  });

  it.each([
    [null, "body"],
    [[], "body"],
    [{ datasetId: "ds_1" }, "modelId"],
    [{ modelId: "m-1" }, "datasetId"],
    [{ modelId: 3, datasetId: "ds_1" }, "modelId"],
    [{ modelId: "../x", datasetId: "ds_1" }, "modelId"],
    [{ modelId: "m-1", datasetId: "a b" }, "datasetId"],
    [{ modelId: "m-1", datasetId: "ds_1", extra: 1 }, "extra"],
  ])("refuses %j naming %s", (body, field) => {
    expect(errorOf(() => checkCreateRequest(body))).toMatchObject({ code: "INVALID_ARGUMENT", details: { field } });
  });
});

describe("feature columns", () => {
  it.each([
    ["integer", "number", true],
    ["number", "boolean", true],
    ["number", "category", false],
    ["boolean", "integer", true],
    ["boolean", "string", false],
    ["category", "string", true],
    ["category", "integer", true],
    ["string", "boolean", false],
  ] as const)("a %s feature from a %s column: %s", (feature, col, ok) => {
    expect(compatible(feature, col)).toBe(ok);
  });

  it("accepts a dataset with every feature (and more), in any order", () => {
    expect(() => checkAgainstModel(model, dataset([column("colour", "string"), column("extra", "string"), column("flag", "boolean"), column("a", "integer")]))).not.toThrow();
  });

  it("names a missing column", () => {
    const err = errorOf(() => checkAgainstModel(model, dataset([column("a", "number"), column("colour", "category")])));
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "datasetId", column: "flag" } });
    expect(err.message).toMatch(/no column "flag"/);
  });

  it("names a column of an incompatible type", () => {
    const err = errorOf(() => checkAgainstModel(model, dataset([column("a", "category"), column("flag", "boolean"), column("colour", "category")])));
    expect(err).toMatchObject({ details: { column: "a", columnType: "category", featureType: "number" } });
  });
});

describe("checkPage", () => {
  it("accepts offset ≥ 0 and limit 1..10000", () => {
    expect(() => checkPage(0, 1)).not.toThrow();
    expect(() => checkPage(1e9, 10_000)).not.toThrow();
  });

  it.each([
    [-1, 10, "offset"],
    [1.5, 10, "offset"],
    [0, 0, "limit"],
    [0, 10_001, "limit"],
    [0, -5, "limit"],
  ])("refuses offset %d limit %d naming %s", (offset, limit, field) => {
    expect(errorOf(() => checkPage(offset, limit))).toMatchObject({ code: "INVALID_ARGUMENT", details: { field } });
  });
});
