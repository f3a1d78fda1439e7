import { describe, expect, it } from "vitest";
import { csvRows, parseCsvRecords, parseRowFlag } from "./predict-input.js";
import { topClasses } from "./predict.js";

describe("dml predict input", () => {
  it("parses quoted CSV fields, CRLF and a BOM", () => {
    expect(parseCsvRecords('\ufeffa,b\r\n"x, ""y""",2\r\n"multi\nline",3')).toEqual([
      ["a", "b"],
      ['x, "y"', "2"],
      ["multi\nline", "3"],
    ]);
  });

  it("types cells by guess: numbers, booleans, null for empty", () => {
    expect(csvRows("a,b,c,d\n1.5,true,,x\n-2e3,FALSE,7,\n")).toEqual([
      { a: 1.5, b: true, c: null, d: "x" },
      { a: -2000, b: false, c: 7, d: null },
    ]);
  });

  it("types cells by the model's feature types when known", () => {
    const types = new Map([
      ["zip", "category"],
      ["n", "number"],
    ]);
    expect(csvRows("zip,n,other\n02139,3,4\n", types)).toEqual([{ zip: "02139", n: 3, other: 4 }]);
  });

  it("refuses ragged lines and bad --row JSON", () => {
    expect(() => csvRows("a,b\n1\n")).toThrow(/line 2: 1 fields, the header has 2/);
    expect(() => parseRowFlag("{a:1}")).toThrow(/JSON object/);
    expect(() => parseRowFlag("[1]")).toThrow(/JSON object/);
    expect(parseRowFlag('{"a":1}')).toEqual({ a: 1 });
  });

  it("shows the most likely classes first", () => {
    expect(topClasses({ a: 0.1, b: 0.7, c: 0.2 }, 2)).toBe("b 0.700, c 0.200");
  });
});
