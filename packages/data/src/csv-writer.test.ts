import { describe, expect, it } from "vitest";
import { CsvWriter } from "./csv-writer.js";
import { parseCsv } from "./csv-parser.js";
import type { CsvIngestOptions } from "./ingest.js";
import { ingest, rowsOf } from "./test-support.js";

/** The dataset written back as CSV: header once, then each stored batch. */
function download(input: string, options: CsvIngestOptions = {}): { csv: string; first: ReturnType<typeof ingest> } {
  const first = ingest(input, options);
  const writer = new CsvWriter(first.result.schema.map((c) => c.name), options.delimiter ? { delimiter: options.delimiter } : {});
  return { csv: writer.header() + first.stored.map((ipc) => writer.batch(ipc)).join(""), first };
}

/** Upload -> download -> upload again: the same schema, statistics and values. */
function expectRoundTrip(input: string, options: CsvIngestOptions = {}): string {
  const { csv, first } = download(input, options);
  const again = ingest(csv, { delimiter: options.delimiter, rowsPerBatch: 3 });
  expect(again.result.schema).toEqual(first.result.schema);
  // Mean and std depend on how rows were split into batches in their last bits only.
  const approx = (columns: typeof first.result.columns) =>
    columns.map((c) => ({ ...c, stats: { ...c.stats, mean: c.stats.mean?.toPrecision(12), std: c.stats.std?.toPrecision(12) } }));
  expect(approx(again.result.columns)).toEqual(approx(first.result.columns));
  expect(rowsOf(again.stored)).toEqual(rowsOf(first.stored));
  return csv;
}

describe("CsvWriter", () => {
  it("writes the header once, LF line ends, quotes only where needed and empty cells for missing", () => {
    const { csv } = download('\uFEFFname,"a,b",n\r\n"Smith, J.",x,1\r\n"say ""hi""","two\r\nlines",\r\nplain,NA,3\r\n');
    expect(csv).toBe('name,"a,b",n\n"Smith, J.",x,1\n"say ""hi""","two\r\nlines",\nplain,,3\n');
  });

  it("writes numbers so they read back as the same value and type", () => {
    const { csv } = download("f,i,b\n151.0,1,true\n-0.0,-9223372036854775808,false\n1e21,9007199254740993,TRUE\n0.1,0,\n-inf,3,False\n2.5e-7,,true\n");
    expect(csv).toBe("f,i,b\n151.0,1,true\n-0.0,-9223372036854775808,false\n1e+21,9007199254740993,true\n0.1,0,\n-inf,3,false\n2.5e-7,,true\n");
  });

  it("writes a missing value of a one-column file as \"\" so the row is not an empty line", () => {
    const csv = expectRoundTrip("x\na\n\nNA\nb\n");
    expect(csv).toBe('x\na\n""\nb\n');
  });

  it("uses the dataset's delimiter", () => {
    const { csv } = download('a;b\n1,5;"x;y"\n', { delimiter: ";" });
    expect(csv).toBe('a;b\n1,5;"x;y"\n');
  });

  it("refuses a batch of another dataset", () => {
    const { first } = download("a\n1\n");
    expect(() => new CsvWriter(["b"]).batch(first.stored[0]!)).toThrow(/not the dataset's/);
  });
});

describe("round trip: upload, download, upload again", () => {
  it("keeps values and types of a messy file", () => {
    expectRoundTrip(
      [
        "\uFEFFid,name,score,ok,note,big,ratio",
        '1,"Zoë ""Z"" Ångström",-1.5e3,true,"line1\r\nline2",9007199254740993,0.1',
        "2,東京,2,FALSE,,-12,1e-300",
        '3,"comma, inside",NA,,"  spaces kept  ",0,-0.0',
        "4,🚀,.5,True,null,,inf",
        '5,"",3.25,false,"quote "" inside",42,151.0',
        "6,plain,-7,true,x,7,-2.5E+3",
      ].join("\r\n"),
    );
  });

  it("keeps the stored values of a file whose columns were promoted across batches", () => {
    expectRoundTrip("a,b,c\n1,1,true\n2,2,false\n3,2.5,true\n4,3,x\n5,x,true\n6,7,false\n", { rowsPerBatch: 2 });
  });

  it("keeps values and types of random tables (seeded fuzz)", () => {
    let seed = 2024;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const texts = ["a", "b,c", 'q"uote', "new\nline", "Ünï", "名前", " pad ", "x\r\ny", "🚀", "None", "0012"];
    const cell = (kind: string): string => {
      if (rand() < 0.1) return pick(["", "NA", "null", "NaN"]);
      switch (kind) {
        case "int":
          return String(Math.floor((rand() - 0.5) * 1e6));
        case "num":
          return pick([String((rand() - 0.5) * 10 ** Math.floor(rand() * 10 - 5)), (rand() * 100).toFixed(2), `${Math.floor(rand() * 9)}e${Math.floor(rand() * 6)}`]);
        case "bool":
          return pick(["true", "false", "TRUE", "False"]);
        default:
          return pick(texts);
      }
    };
    const quote = (s: string) => (/[",\r\n]/.test(s) || rand() < 0.2 ? `"${s.replace(/"/g, '""')}"` : s);
    for (let trial = 0; trial < 30; trial++) {
      const kinds = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => pick(["int", "num", "bool", "text"]));
      const eol = pick(["\n", "\r\n"]);
      const rows = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => kinds.map((k) => quote(cell(k))).join(","));
      const csv = `${kinds.map((k, j) => `${k}${j}`).join(",")}${eol}${rows.join(eol)}${rand() < 0.5 ? eol : ""}`;
      const parsedRows = parseCsv(csv).records.length;
      if (parsedRows === 0) continue;
      expectRoundTrip(csv, { rowsPerBatch: 1 + Math.floor(rand() * 10) });
    }
  });
});
