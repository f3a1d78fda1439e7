import { describe, expect, it } from "vitest";
import { BatchBuilder } from "./ingest.js";
import { batchToRows } from "./rows.js";

function batch(header: string[], rows: string[][]): Uint8Array {
  const builder = new BatchBuilder(header);
  rows.forEach((r, i) => builder.add(r, i + 2));
  return builder.finish().lastBatches[0]!.ipc;
}

describe("batchToRows", () => {
  const ipc = batch(
    ["i", "x", "b", "s"],
    Array.from({ length: 10 }, (_, k) => [String(k), k % 3 === 0 ? "" : String(k / 2), k % 2 === 0 ? "true" : "false", `s${k}`]),
  );

  it("returns every row with JS values and nulls", () => {
    const rows = batchToRows(ipc);
    expect(rows).toHaveLength(10);
    expect({ ...rows[1] }).toEqual({ i: 1, x: 0.5, b: false, s: "s1" });
    expect(rows[3]!.x).toBeNull();
    expect(typeof rows[9]!.i).toBe("number");
  });

  it("pages with offset and limit", () => {
    expect(batchToRows(ipc, { offset: 8 }).map((r) => r.i)).toEqual([8, 9]);
    expect(batchToRows(ipc, { offset: 2, limit: 3 }).map((r) => r.s)).toEqual(["s2", "s3", "s4"]);
    expect(batchToRows(ipc, { offset: 20 })).toEqual([]);
    expect(batchToRows(ipc, { limit: 0 })).toEqual([]);
  });

  it("keeps a column named __proto__ as a plain key", () => {
    const rows = batchToRows(batch(["__proto__", "constructor"], [["1", "x"]]));
    expect(rows[0]!["__proto__"]).toBe(1);
    expect(rows[0]!["constructor"]).toBe("x");
    expect(JSON.parse(JSON.stringify(rows))).toEqual([{ ["__proto__"]: 1, constructor: "x" }]);
  });
});
