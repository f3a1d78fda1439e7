import { tableFromIPC, Type } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { conformBatch } from "./conform.js";
import { DataError } from "./errors.js";
import { BatchBuilder } from "./ingest.js";
import { batchToRows } from "./rows.js";
import type { ColumnType, DatasetSchema } from "./schema.js";

/** One batch built from string records with the given forced types. */
function batchOf(columns: Record<string, ColumnType>, rows: string[][]): Uint8Array {
  const builder = new BatchBuilder(Object.keys(columns), { types: columns });
  rows.forEach((r, i) => builder.add(r, i + 2));
  return builder.finish().lastBatches[0]!.ipc;
}

const schema = (columns: Record<string, ColumnType>): DatasetSchema => Object.entries(columns).map(([name, type]) => ({ name, type }));

describe("conformBatch", () => {
  it("casts Int64 to Float64 exactly", () => {
    const ipc = batchOf({ a: "integer" }, [["1"], [""], ["-9007199254740991"]]);
    const out = conformBatch(ipc, schema({ a: "number" }));
    expect(Type[tableFromIPC(out).schema.fields[0]!.type.typeId]).toBe("Float");
    expect(batchToRows(out).map((r) => r.a)).toEqual([1, null, -9007199254740991]);
  });

  it("writes numbers, integers and booleans as text, in shortest form", () => {
    const ipc = batchOf({ i: "integer", n: "number", b: "boolean" }, [
      ["007", "1.50", "TRUE"],
      ["9223372036854775807", "1e21", "no"],
      ["", "-0.1", ""],
      ["-5", "inf", "f"],
    ]);
    const out = conformBatch(ipc, schema({ i: "string", n: "category", b: "string" }));
    expect(tableFromIPC(out).schema.fields.map((f) => Type[f.type.typeId])).toEqual(["Utf8", "Utf8", "Utf8"]);
    // The one lossy case: the original spelling ("007", "1.50", "TRUE") is not kept, only the value.
    expect(batchToRows(out).map((r) => ({ ...r }))).toEqual([
      { i: "7", n: "1.5", b: "true" },
      { i: "9223372036854775807", n: "1e+21", b: "false" },
      { i: null, n: "-0.1", b: null },
      { i: "-5", n: "inf", b: "false" },
    ]);
  });

  it("turns an all-null column into any type and leaves matching columns alone", () => {
    const ipc = batchOf({ a: "number", s: "string" }, [["", "x"], ["NA", "y"]]);
    for (const type of ["integer", "boolean", "string"] as const) {
      const out = conformBatch(ipc, schema({ a: type, s: "category" }));
      expect(batchToRows(out).map((r) => r.a)).toEqual([null, null]);
      expect(batchToRows(out).map((r) => r.s)).toEqual(["x", "y"]);
    }
  });

  it("refuses casts that would lose values and batches of another dataset", () => {
    const ipc = batchOf({ a: "number" }, [["1.5"]]);
    expect(() => conformBatch(ipc, schema({ a: "integer" }))).toThrow(DataError);
    expect(() => conformBatch(ipc, schema({ b: "number" }))).toThrow(/not the dataset's/);
  });
});
