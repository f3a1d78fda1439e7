import { describe, expect, it } from "vitest";
import { DataError } from "./errors.js";
import { checkTypeOverrides, parseTypeOverrides, physicalType, promote, samePhysicalSchema, textType } from "./schema.js";

describe("promotion", () => {
  it("goes integer -> number -> string, and boolean with anything else -> string", () => {
    expect(promote(undefined, "integer")).toBe("integer");
    expect(promote("integer", undefined)).toBe("integer");
    expect(promote("integer", "integer")).toBe("integer");
    expect(promote("integer", "number")).toBe("number");
    expect(promote("number", "integer")).toBe("number");
    expect(promote("number", "string")).toBe("string");
    expect(promote("integer", "string")).toBe("string");
    expect(promote("boolean", "boolean")).toBe("boolean");
    expect(promote("boolean", "integer")).toBe("string");
    expect(promote("number", "boolean")).toBe("string");
    expect(promote("category", undefined)).toBe("string");
    expect(promote(undefined, undefined)).toBeUndefined();
  });

  it("maps logical types to Arrow types", () => {
    expect(["integer", "number", "boolean", "category", "string"].map((t) => physicalType(t as never))).toEqual(["int64", "float64", "bool", "utf8", "utf8"]);
    expect(samePhysicalSchema([{ name: "a", type: "category" }], [{ name: "a", type: "string" }])).toBe(true);
    expect(samePhysicalSchema([{ name: "a", type: "integer" }], [{ name: "a", type: "number" }])).toBe(false);
  });
});

describe("category rule", () => {
  it("needs at most 1000 distinct values and at most half as many as non-missing cells", () => {
    expect(textType(3, 150, false)).toBe("category");
    expect(textType(50, 100, false)).toBe("category");
    expect(textType(51, 100, false)).toBe("string");
    expect(textType(1000, 1_000_000, false)).toBe("category");
    expect(textType(1001, 1_000_000, false)).toBe("string");
    expect(textType(10, 1_000_000, true)).toBe("string");
  });
});

describe("type overrides", () => {
  it("parses col:type lists", () => {
    expect({ ...parseTypeOverrides("species:category, zip:string,a b:Integer") }).toEqual({ species: "category", " zip": "string", "a b": "integer" });
    expect(() => parseTypeOverrides("x:date")).toThrow(/unknown type "date"/);
    expect(() => parseTypeOverrides("x")).toThrow(DataError);
  });

  it("rejects unknown column names and types, listing the file's columns", () => {
    expect(() => checkTypeOverrides(["a", "b"], { c: "string" })).toThrow('a type is set for column "c", but the file has no such column (its columns: a, b)');
    expect(() => checkTypeOverrides(["a"], { a: "float" as never })).toThrow(/unknown type "float"/);
    expect(() => checkTypeOverrides(["a"], { a: "category" })).not.toThrow();
  });
});
