import { readFileSync } from "node:fs";
import { tableFromIPC, Type } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { CsvError, DataError } from "./errors.js";
import { BatchBuilder, CsvIngest, type IngestBatch } from "./ingest.js";
import { ingest, rowsOf } from "./test-support.js";

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url));

/** The Arrow type ids of an IPC stream's columns. */
function arrowTypes(ipc: Uint8Array): string[] {
  return tableFromIPC(ipc).schema.fields.map((f) => Type[f.type.typeId]!);
}

describe("CsvIngest on the iris fixture", () => {
  const { result, batches, stored } = ingest(fixture("iris.csv"), { rowsPerBatch: 64 }, 1000);

  it("finds 150 rows in 3 batches, 4 number columns and a 3-value category", () => {
    expect(result.rows).toBe(150);
    expect(result.batches).toBe(3);
    expect(batches.map((b) => [b.index, b.firstRow, b.rows])).toEqual([
      [0, 0, 64],
      [1, 64, 64],
      [2, 128, 22],
    ]);
    expect(result.schema).toEqual([
      { name: "sepal length (cm)", type: "number" },
      { name: "sepal width (cm)", type: "number" },
      { name: "petal length (cm)", type: "number" },
      { name: "petal width (cm)", type: "number" },
      { name: "species", type: "category" },
    ]);
    expect(result.staleBatches).toEqual([]);
    const species = result.columns[4]!;
    expect(species).toEqual({
      name: "species",
      type: "category",
      missing: 0,
      stats: {
        distinct: 3,
        topValues: [
          { value: "setosa", count: 50 },
          { value: "versicolor", count: 50 },
          { value: "virginica", count: 50 },
        ],
      },
    });
  });

  it("computes the sepal length stats of the whole file (checked against an independent computation)", () => {
    const values = fixture("iris.csv").toString("utf8").trim().split("\n").slice(1).map((l) => Number(l.split(",")[0]));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    const s = result.columns[0]!.stats;
    expect(s.min).toBe(4.3);
    expect(s.max).toBe(7.9);
    expect(s.mean).toBeCloseTo(mean, 12);
    expect(s.std).toBeCloseTo(std, 12);
    expect(s.distinct).toBe(new Set(values).size);
    expect(result.columns[0]!.missing).toBe(0);
  });

  it("stores Float64 and Utf8 columns and reads the rows back", () => {
    expect(arrowTypes(stored[0]!)).toEqual(["Float", "Float", "Float", "Float", "Utf8"]);
    const rows = rowsOf(stored);
    expect(rows).toHaveLength(150);
    expect(rows[0]).toEqual({ "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2, species: "setosa" });
    expect(rows[149]!.species).toBe("virginica");
  });
});

describe("CsvIngest on the wine and diabetes fixtures", () => {
  it("types wine's cultivar as integer and the rest as numbers", () => {
    const { result } = ingest(fixture("wine.csv"));
    expect(result.rows).toBe(178);
    expect(result.schema.filter((c) => c.type !== "number")).toEqual([{ name: "cultivar", type: "integer" }]);
    expect(result.columns.at(-1)!.stats).toMatchObject({ min: 0, max: 2, distinct: 3 });
  });

  it("keeps diabetes' 17-digit values exactly", () => {
    const { result, stored } = ingest(fixture("diabetes.csv"), { rowsPerBatch: 100 });
    expect(result.rows).toBe(442);
    expect(result.schema.every((c) => c.type === "number")).toBe(true);
    const firstLine = fixture("diabetes.csv").toString("utf8").split("\n")[1]!.split(",").map(Number);
    expect(Object.values(rowsOf(stored)[0]!)).toEqual(firstLine);
  });
});

describe("type inference and promotion across batches", () => {
  it("infers each type and stores it with its Arrow type", () => {
    const { result, stored } = ingest("i,n,b,s,m\n1,1.5,true,x,\n-2,2,FALSE,y,NA\n3,1e3,True,x,null\n");
    expect(result.schema.map((c) => c.type)).toEqual(["integer", "number", "boolean", "string", "number"]);
    expect(arrowTypes(stored[0]!)).toEqual(["Int", "Float", "Bool", "Utf8", "Float"]);
    expect(rowsOf(stored)).toEqual([
      { i: 1, n: 1.5, b: true, s: "x", m: null },
      { i: -2, n: 2, b: false, s: "y", m: null },
      { i: 3, n: 1000, b: true, s: "x", m: null },
    ]);
    expect(result.columns[4]).toEqual({ name: "m", type: "number", missing: 3, stats: { distinct: 0 } });
  });

  it("promotes integer -> number -> string over later batches and lists the stale batches", () => {
    const csv = "a,b,c\n1,1,true\n2,2,false\n3,2.5,true\n4,3,x\n5,x,true\n6,7,false\n";
    const { result, batches, stored } = ingest(csv, { rowsPerBatch: 2 });
    expect(batches.map((b) => b.localSchema.map((c) => c.type).join(","))).toEqual([
      "integer,integer,boolean",
      "integer,number,string", // built on what batch 0 saw: c was boolean, so "x" makes it string
      "integer,string,string",
    ]);
    // c: true/false/x, 3 distinct values in 6 cells: a category.
    expect(result.schema.map((c) => c.type)).toEqual(["integer", "string", "category"]);
    expect(result.staleBatches).toEqual([0, 1]);
    // After conformBatch every stored batch has the dataset's exact schema.
    for (const ipc of stored) expect(arrowTypes(ipc)).toEqual(["Int", "Utf8", "Utf8"]);
    expect(rowsOf(stored).map((r) => [r.b, r.c])).toEqual([
      ["1", "true"],
      ["2", "false"],
      ["2.5", "true"],
      ["3", "x"],
      ["x", "true"],
      ["7", "false"],
    ]);
    // Stats describe the stored text: b's early numbers are counted as "1", "2", "2.5".
    expect(result.columns[1]!.stats.topValues!.map((t) => t.value)).toEqual(["1", "2", "2.5", "3", "7", "x"]);
  });

  it("stores a batch directly as the type earlier batches promoted to (no conform needed later)", () => {
    const { result, batches } = ingest("a\n1.5\n2\n3\n", { rowsPerBatch: 1 });
    expect(batches.map((b) => b.localSchema[0]!.type)).toEqual(["number", "number", "number"]);
    expect(result.staleBatches).toEqual([]);
  });

  it("conforms an all-missing batch to the type found later", () => {
    const { result, stored, batches } = ingest("a,b\n,x\nNA,y\n7,z\n", { rowsPerBatch: 2 });
    expect(batches[0]!.localSchema[0]!.type).toBe("number");
    expect(result.schema[0]!.type).toBe("integer");
    expect(result.staleBatches).toEqual([0]);
    expect(rowsOf(stored).map((r) => r.a)).toEqual([null, null, 7]);
    expect(arrowTypes(stored[0]!)).toEqual(["Int", "Utf8"]);
  });

  it("makes an all-missing column a number column of nulls", () => {
    const { result } = ingest("a,b\n1,\n2,NaN\n");
    expect(result.columns[1]).toEqual({ name: "b", type: "number", missing: 2, stats: { distinct: 0 } });
  });

  it("decides category on the whole dataset, not per batch", () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${i < 50 ? `id${i}` : "same"}`);
    const { result } = ingest(`x\n${lines.join("\n")}\n`, { rowsPerBatch: 10 });
    // 51 distinct of 100 values: over the 50% ratio, so string.
    expect(result.schema[0]!.type).toBe("string");
    const fewer = Array.from({ length: 100 }, (_, i) => (i < 40 ? `id${i}` : "same"));
    expect(ingest(`x\n${fewer.join("\n")}\n`, { rowsPerBatch: 10 }).result.schema[0]!.type).toBe("category");
  });

  it("keeps integers past 2^53 exact in Int64", () => {
    const { stored } = ingest("id\n9007199254740993\n-9223372036854775808\n1\n");
    const ids = tableFromIPC(stored[0]!).getChild("id")!;
    expect([...ids]).toEqual([9007199254740993n, -9223372036854775808n, 1n]);
  });

  it("reads cells with non-ASCII neighbours (a chunk that is not pure ASCII)", () => {
    const { result, stored } = ingest("city,temp\nZürich,-3.5\nKöln, 4 \n");
    expect(result.schema.map((c) => c.type)).toEqual(["string", "number"]);
    expect(rowsOf(stored).map((r) => r.temp)).toEqual([-3.5, 4]);
  });

  it("gives the same result whatever the chunk size", () => {
    const csv = 'a,b,c\n1,"x, y",true\n2.5,"line\nbreak",false\n,Zoë,\n-4,🚀,true\n';
    const whole = ingest(csv);
    for (const size of [1, 2, 3, 7]) {
      const chunked = ingest(csv, {}, size);
      expect(chunked.result).toEqual(whole.result);
      expect(rowsOf(chunked.stored)).toEqual(rowsOf(whole.stored));
    }
  });

  it("caps rows per batch so that a batch holds at most maxBatchCells cells", () => {
    const header = Array.from({ length: 10 }, (_, j) => `c${j}`).join(",");
    const row = Array.from({ length: 10 }, (_, j) => String(j)).join(",");
    const { batches } = ingest(`${header}\n${Array(10).fill(row).join("\n")}\n`, { maxBatchCells: 30 });
    expect(batches.map((b) => b.rows)).toEqual([3, 3, 3, 1]);
  });

  it("ends a batch early when its raw text passes maxBatchChars", () => {
    const lines = Array.from({ length: 20 }, (_, i) => `${i},${"x".repeat(100)}`);
    const { result, batches } = ingest(`n,text\n${lines.join("\n")}\n`, { maxBatchChars: 500 }, 64);
    expect(result.rows).toBe(20);
    expect(batches.length).toBeGreaterThan(3);
    expect(batches.reduce((sum, b) => sum + b.rows, 0)).toBe(20);
  });
});

describe("type overrides", () => {
  it("forces types: integers as category, numbers as string, yes/no as boolean", () => {
    const { result, stored } = ingest("zip,code,flag,n\n02134,1.50,yes,1\n10001,2,no,2\n", {
      types: { zip: "category", code: "string", flag: "boolean", n: "number" },
    });
    expect(result.schema.map((c) => c.type)).toEqual(["category", "string", "boolean", "number"]);
    expect(rowsOf(stored)).toEqual([
      { zip: "02134", code: "1.50", flag: true, n: 1 },
      { zip: "10001", code: "2", flag: false, n: 2 },
    ]);
    expect(arrowTypes(stored[0]!)).toEqual(["Utf8", "Utf8", "Bool", "Float"]);
  });

  it("accepts whole numbers written as decimals for a forced integer column", () => {
    const { stored } = ingest("n\n3.0\n1e3\n", { types: { n: "integer" } });
    expect(rowsOf(stored).map((r) => r.n)).toEqual([3, 1000]);
  });

  it("rejects an unknown column name", () => {
    expect(() => ingest("a,b\n1,2\n", { types: { c: "string" } })).toThrow(DataError);
    expect(() => ingest("a,b\n1,2\n", { types: { c: "string" } })).toThrow(/no such column/);
  });

  it("names the line and column of a value that is not of the forced type", () => {
    const rows = Array.from({ length: 10 }, (_, i) => `${i},${i}`);
    let err: unknown;
    try {
      ingest(`a,age\n${rows.join("\n")}\n10,"ten"\n`, { types: { age: "integer" }, rowsPerBatch: 4 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsvError);
    expect((err as CsvError).message).toBe('line 12, column 2 ("age"): "ten" is not an integer, and the column\'s type was set to integer');
    expect(err).toMatchObject({ line: 12, column: 2, columnName: "age" });
    expect(() => ingest("a\n1.5\n", { types: { a: "integer" } })).toThrow(/"1.5" is not an integer/);
    expect(() => ingest("a\nmaybe\n", { types: { a: "boolean" } })).toThrow(/line 2, column 1 \("a"\): "maybe" is not a boolean/);
    expect(() => ingest("a\nabc\n", { types: { a: "number" } })).toThrow(/"abc" is not a number/);
  });
});

describe("the parser's numeric fast path", () => {
  // Numbers are read in one pass when a whole cell and its delimiter are in one ASCII chunk, and
  // through the general path otherwise (1-byte chunks, a delimiter that can be part of a number,
  // non-ASCII chunks): every way must give the same batches, schema and statistics.
  const rows: string[] = [];
  for (let i = 0; i < 300; i++) {
    const cells = [String(i * 7 - 1000), (i / 7 - 20).toString(), i % 11 === 0 ? "" : (i * 1.25e-3).toExponential(), i % 13 === 0 ? "NA" : String(2 ** 53 + i * 1000), i % 50 === 0 ? "x" + i : String(i % 3), i % 2 === 0 ? " 12 " : "+3."];
    rows.push(cells.join(","));
  }
  const csv = `a,b,c,d,e,f\n${rows.join("\r\n")}\n`;

  function summary(input: string, delimiter: string, chunkSize: number) {
    const { result, stored } = ingest(input, { delimiter, rowsPerBatch: 64 }, chunkSize);
    return { schema: result.schema, columns: result.columns, stale: result.staleBatches, rows: rowsOf(stored) };
  }

  it("gives the same result whatever the chunking and the delimiter", () => {
    const reference = summary(csv, ",", 1);
    expect(reference.schema.map((c) => c.type)).toEqual(["integer", "number", "number", "integer", "category", "number"]);
    expect(reference.rows[3]).toEqual({ a: -979, b: 3 / 7 - 20, c: 3.75e-3, d: 2 ** 53 + 3000, e: "0", f: 3 });
    for (const chunkSize of [7, 100, 4096, 1 << 16]) expect(summary(csv, ",", chunkSize), String(chunkSize)).toEqual(reference);
    // ";" takes the fast path; "E" and "." cannot (they are part of numbers), "é" makes the chunks non-ASCII.
    expect(summary(csv.replaceAll(",", ";"), ";", 4096)).toEqual(reference);
    expect(summary(csv.replaceAll(",", "E"), "E", 4096)).toEqual(reference);
    expect(summary("é,b\n1,2\n", ",", 100).rows).toEqual([{ é: 1, b: 2 }]);
    const dotted = summary("a.b\n1.2\n3.4\n", ".", 100);
    expect(dotted.schema).toEqual([{ name: "a", type: "integer" }, { name: "b", type: "integer" }]);
    expect(dotted.rows).toEqual([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
  });
});

describe("BatchBuilder with records", () => {
  it("builds batches from string records", () => {
    const builder = new BatchBuilder(["a", "b"], { rowsPerBatch: 2 });
    expect(builder.add(["1", "x"], 2)).toBeUndefined();
    const first = builder.add(["2", "y"], 3);
    expect(first).toMatchObject({ index: 0, firstRow: 0, rows: 2 });
    builder.add(["3", "z"], 4);
    const result = builder.finish();
    expect(result.lastBatches.map((b) => b.rows)).toEqual([1]);
    expect(result.rows).toBe(3);
    expect(() => new BatchBuilder(["a"], { rowsPerBatch: 0 })).toThrow(DataError);
  });
});

describe("CsvIngest.end before finish", () => {
  it("returns the last batch first and then the same statistics as finish alone", () => {
    const csv = "a,b,c\n" + Array.from({ length: 250 }, (_, i) => `${i % 7},${i * 0.5},${i % 3 === 0 ? "x" : i}`).join("\n") + "\n";
    const bytes = new TextEncoder().encode(csv);
    const options = { rowsPerBatch: 100, adoptChunks: true };
    const whole = ingest(bytes, options, 512);

    const job = new CsvIngest(options);
    const batches: IngestBatch[] = [];
    for (let at = 0; at < bytes.length; at += 512) batches.push(...job.push(bytes.subarray(at, at + 512)));
    batches.push(...job.end());
    let steps = 0;
    while (job.statsStep()) steps++;
    const result = job.finish();

    expect(steps).toBe(3);
    expect(result.lastBatches).toEqual([]);
    expect(batches.map((b) => [b.index, b.rows])).toEqual(whole.batches.map((b) => [b.index, b.rows]));
    batches.forEach((b, i) => expect(Buffer.compare(b.ipc, whole.batches[i]!.ipc)).toBe(0));
    const { lastBatches: _, ...rest } = result;
    const { lastBatches: __, ...expected } = whole.result;
    expect(rest).toEqual(expected);
  });

  it("reports a bad file from end, as finish would", () => {
    const job = new CsvIngest();
    job.push(new TextEncoder().encode("a,b\n"));
    expect(() => job.end()).toThrow(CsvError);
    expect(() => job.finish()).toThrow(CsvError);
  });
});
