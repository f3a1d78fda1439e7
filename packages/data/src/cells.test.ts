import { describe, expect, it } from "vitest";
import { BIG_INTEGER, DECIMAL, isMissing, MISSING_TOKENS, NOT_NUMERIC, parsed, SAFE_INTEGER, scanBoolean, scanBooleanLoose, scanNumber, scanNumberAt, scanNumberFrom } from "./cells.js";

function num(s: string): [number, number | bigint] {
  const kind = scanNumber(s);
  return [kind, kind === BIG_INTEGER ? parsed.big : parsed.value];
}

describe("missing values", () => {
  it("recognizes the documented tokens in any case, with surrounding whitespace", () => {
    expect(MISSING_TOKENS).toEqual(["", "na", "n/a", "nan", "-nan", "null", "#n/a", "<na>"]);
    for (const s of ["", "  ", "\t", "NA", "na", "N/A", "n/a", "NaN", "nan", "NAN", "-NaN", "null", "NULL", "Null", "#N/A", "<NA>", " NA ", "\tnull"]) {
      expect(isMissing(s), JSON.stringify(s)).toBe(true);
    }
  });

  it("keeps real values, None included", () => {
    for (const s of ["0", "None", "none", "nan1", "NAN!", "N", "A", "n/a/b", "-", "nullable", "0.0", "false"]) {
      expect(isMissing(s), JSON.stringify(s)).toBe(false);
    }
  });
});

describe("number syntax", () => {
  it("reads integers exactly, leading zeros and signs included", () => {
    expect(num("0")).toEqual([SAFE_INTEGER, 0]);
    expect(num("42")).toEqual([SAFE_INTEGER, 42]);
    expect(num("-17")).toEqual([SAFE_INTEGER, -17]);
    expect(num("+5")).toEqual([SAFE_INTEGER, 5]);
    expect(num("007")).toEqual([SAFE_INTEGER, 7]);
    expect(num(" 12 ")).toEqual([SAFE_INTEGER, 12]);
    expect(num("9007199254740991")).toEqual([SAFE_INTEGER, 9007199254740991]);
  });

  it("reads integers past 2^53 exactly as Int64, and past Int64 as numbers", () => {
    expect(num("9007199254740993")).toEqual([BIG_INTEGER, 9007199254740993n]);
    expect(num("-9223372036854775808")).toEqual([BIG_INTEGER, -9223372036854775808n]);
    expect(num("9223372036854775807")).toEqual([BIG_INTEGER, 9223372036854775807n]);
    expect(num("9223372036854775808")).toEqual([DECIMAL, 9223372036854775808]);
  });

  it("reads decimals, exponents and infinities as numbers", () => {
    expect(num("1.5")).toEqual([DECIMAL, 1.5]);
    expect(num("-.5")).toEqual([DECIMAL, -0.5]);
    expect(num("1.")).toEqual([DECIMAL, 1]);
    expect(num("1.0")).toEqual([DECIMAL, 1]);
    expect(num("1e5")).toEqual([DECIMAL, 100000]);
    expect(num("2.5E-3")).toEqual([DECIMAL, 0.0025]);
    expect(num("1e+21")).toEqual([DECIMAL, 1e21]);
    expect(num("1e400")).toEqual([DECIMAL, Infinity]);
    expect(num("inf")).toEqual([DECIMAL, Infinity]);
    expect(num("-Infinity")).toEqual([DECIMAL, -Infinity]);
    expect(num("+INF")).toEqual([DECIMAL, Infinity]);
    expect(Object.is(num("-0.0")[1], -0)).toBe(true);
  });

  it("rejects what is not a plain decimal number", () => {
    for (const s of ["", " ", ".", "-", "+", "e5", "1e", "1e+", "1.2.3", "0x10", "1,000", "1_000", "12abc", "abc", "--1", "1 2", "in", "infinit", "nan", "١٢"]) {
      expect(scanNumber(s), JSON.stringify(s)).toBe(NOT_NUMERIC);
    }
  });

  it("rounds exactly like Number() on random decimals of every length (seeded)", () => {
    let seed = 99;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 50_000; i++) {
      const r = rand();
      let s: string;
      if (r < 0.3) s = String((rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20));
      else if (r < 0.6) s = (rand() * 1000).toPrecision(1 + Math.floor(rand() * 21));
      else {
        const len = 1 + Math.floor(rand() * 24);
        let digits = "";
        for (let k = 0; k < len; k++) digits += Math.floor(rand() * 10);
        const point = Math.floor(rand() * (len + 1));
        s = `${digits.slice(0, point)}.${digits.slice(point)}${rand() < 0.3 ? `e${Math.floor(rand() * 80 - 40)}` : ""}`;
      }
      for (const t of [s, `-${s}`]) {
        const kind = scanNumber(t);
        if (Number.isNaN(Number(t))) expect(kind, t).toBe(NOT_NUMERIC);
        else expect(Object.is(parsed.value, Number(t)), t).toBe(true);
      }
    }
  });

  it("rounds 16-18 digit decimals exactly, halfway cases (ties to even) included", () => {
    const cases: string[] = [];
    for (let k = 0; k < 2000; k++) {
      const odd = 2n ** 53n + BigInt(2 * k + 1); // halfway between two doubles (ulp 2 here)
      cases.push(`${odd}.0`, `${odd + 1n}.0`, `${odd - 2n}.00`);
      const big = (2n ** 56n + BigInt(16 * k + 8)).toString();
      cases.push(`${big.slice(0, 9)}.${big.slice(9)}`, `0.${big}`);
    }
    for (const s of cases) {
      expect(scanNumber(s), s).toBe(DECIMAL);
      expect(Object.is(parsed.value, Number(s)), s).toBe(true);
    }
  });
});

describe("scanNumberFrom (the parser's fast path, before the cell's end is known)", () => {
  /** Both readings of `cell` followed by `rest`: scanNumberFrom's, and scanNumberAt's of the cell it delimits. */
  function both(cell: string, rest = ","): { from: [number, number | bigint, number]; at?: [number, number | bigint] } {
    const text = cell + rest;
    const bytes = Buffer.from(text, "latin1");
    const kind = scanNumberFrom(bytes, 0, bytes.length, text, 0);
    const from: [number, number | bigint, number] = [kind, kind === BIG_INTEGER ? parsed.big : parsed.value, parsed.end];
    if (kind === NOT_NUMERIC) return { from };
    const atKind = scanNumberAt(bytes, 0, parsed.end, text, 0);
    return { from, at: [atKind, atKind === BIG_INTEGER ? parsed.big : parsed.value] };
  }

  it("reads a number up to where its syntax ends, with the value scanNumberAt gives for that cell", () => {
    const cells = ["0", "42", "-17", "+5", "007", "1.5", "-.5", "1.", "1e5", "2.5E-3", "-0", "0.1", "-57.28341094684601",
      "12345678901234567", "1234567890123456789", "9007199254740993", "-9223372036854775808", "9223372036854775808", "1e400", "4.9e-324"];
    for (const cell of cells) {
      for (const rest of [",", "\n", "\r\n", "\t", ";x"]) {
        const { from, at } = both(cell, rest);
        expect(from[0], cell).not.toBe(NOT_NUMERIC);
        expect(from[2], cell).toBe(cell.length);
        expect(at, cell).toEqual([from[0], from[1]]);
        expect(at![0], cell).toBe(num(cell)[0]);
        expect(Object.is(at![1], num(cell)[1]) || at![1] === num(cell)[1], cell).toBe(true);
      }
    }
  });

  it("stops early at anything that cannot continue a number, and refuses what scanNumberAt refuses", () => {
    expect(both("12abc", "").from.slice(0, 3)).toEqual([SAFE_INTEGER, 12, 2]);
    expect(both("1.5 ", "").from[2]).toBe(3);
    for (const cell of ["", " 1", "inf", "-inf", "Infinity", "NaN", "-NaN", "abc", "-", "+", ".", "-.", "1e", "1e+", "1.5e-", "#N/A", "true"]) {
      expect(both(cell).from[0], JSON.stringify(cell)).toBe(NOT_NUMERIC);
    }
  });
});

describe("booleans", () => {
  it("infers only true/false, in any case", () => {
    expect(["true", "TRUE", "True", " false "].map(scanBoolean)).toEqual([1, 1, 1, 0]);
    expect(["yes", "no", "1", "0", "t", "f", "truee", ""].map(scanBoolean)).toEqual([-1, -1, -1, -1, -1, -1, -1, -1]);
  });

  it("accepts yes/no, y/n, t/f and 1/0 when the user declared the column boolean", () => {
    expect(["true", "Yes", "y", "T", "1"].map(scanBooleanLoose)).toEqual([1, 1, 1, 1, 1]);
    expect(["FALSE", "no", "N", "f", "0"].map(scanBooleanLoose)).toEqual([0, 0, 0, 0, 0]);
    expect(scanBooleanLoose("maybe")).toBe(-1);
  });
});
