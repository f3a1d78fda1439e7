import { describe, expect, it } from "vitest";
import { CsvParser, type CsvParserOptions, CsvScanner, parseCsv } from "./csv-parser.js";
import { CsvError } from "./errors.js";

const enc = (s: string) => new TextEncoder().encode(s);

/** Parses `input` fed in chunks of the given sizes (cycled), returning header and records. */
function parseChunked(input: Uint8Array, sizes: number[], options: CsvParserOptions = {}) {
  const parser = new CsvParser(options);
  const records: { fields: string[]; line: number }[] = [];
  let at = 0;
  let k = 0;
  while (at < input.length) {
    const size = sizes[k++ % sizes.length]!;
    records.push(...parser.push(input.subarray(at, at + size)));
    at += size;
  }
  records.push(...parser.end());
  return { header: [...parser.header!], records };
}

function parseError(input: string | Uint8Array, options: CsvParserOptions = {}): CsvError {
  try {
    parseCsv(input, options);
  } catch (err) {
    expect(err).toBeInstanceOf(CsvError);
    return err as CsvError;
  }
  throw new Error("expected a CsvError");
}

describe("CsvParser: RFC 4180", () => {
  it("reads a header and records with their lines", () => {
    const { header, records } = parseCsv("a,b,c\n1,2,3\n4,5,6\n");
    expect(header).toEqual(["a", "b", "c"]);
    expect(records).toEqual([
      { fields: ["1", "2", "3"], line: 2 },
      { fields: ["4", "5", "6"], line: 3 },
    ]);
  });

  it("handles quoted fields with delimiters, doubled quotes and line breaks", () => {
    const { records } = parseCsv('name,note\n"Smith, J.","He said ""hi"""\n"multi\nline","x\r\ny"\nplain,""\n');
    expect(records.map((r) => r.fields)).toEqual([
      ["Smith, J.", 'He said "hi"'],
      ["multi\nline", "x\r\ny"],
      ["plain", ""],
    ]);
    // Newlines inside quotes count as physical lines.
    expect(records.map((r) => r.line)).toEqual([2, 3, 6]);
  });

  it("accepts CRLF, LF and lone CR line ends, with or without a final newline", () => {
    for (const text of ["a,b\r\n1,2\r\n3,4\r\n", "a,b\n1,2\n3,4", "a,b\r1,2\r3,4\r", "a,b\r\n1,2\n3,4"]) {
      expect(parseCsv(text).records.map((r) => r.fields)).toEqual([
        ["1", "2"],
        ["3", "4"],
      ]);
    }
  });

  it("strips a UTF-8 BOM and keeps unicode", () => {
    const { header, records } = parseCsv("\uFEFFnom,ville\nZoë,Zürich\n名前,東京 🚀\n");
    expect(header).toEqual(["nom", "ville"]);
    expect(records.map((r) => r.fields)).toEqual([
      ["Zoë", "Zürich"],
      ["名前", "東京 🚀"],
    ]);
  });

  it("keeps a BOM character that is not at the start of the file", () => {
    expect(parseCsv("a\n\uFEFFx\n").records[0]!.fields).toEqual(["\uFEFFx"]);
  });

  it("uses a configurable one-character delimiter", () => {
    expect(parseCsv("a\tb\n1,5\t2\n", { delimiter: "\t" }).records[0]!.fields).toEqual(["1,5", "2"]);
    expect(parseCsv('a;b\n"x;y";2\n', { delimiter: ";" }).records[0]!.fields).toEqual(["x;y", "2"]);
    expect(() => new CsvParser({ delimiter: "ab" })).toThrow(RangeError);
    expect(() => new CsvParser({ delimiter: '"' })).toThrow(RangeError);
    expect(() => new CsvParser({ delimiter: "\n" })).toThrow(RangeError);
  });

  it("skips empty lines anywhere, as pandas does, but not lines of empty fields", () => {
    const { records } = parseCsv("\n\na,b\n\n1,2\n\n\n,\n3,4\n\n");
    expect(records).toEqual([
      { fields: ["1", "2"], line: 5 },
      { fields: ["", ""], line: 8 },
      { fields: ["3", "4"], line: 9 },
    ]);
  });

  it("keeps an empty last field (trailing delimiter), with or without a final newline", () => {
    expect(parseCsv("a,b\n1,\n").records[0]!.fields).toEqual(["1", ""]);
    expect(parseCsv("a,b\n1,").records[0]!.fields).toEqual(["1", ""]);
  });

  it("reads a quote inside an unquoted field as an ordinary character (lenient, like pandas)", () => {
    expect(parseCsv('size,label\n5",a"b\n').records[0]!.fields).toEqual(['5"', 'a"b']);
  });

  it("reads a one-column file whose missing value is written as a quoted empty field", () => {
    expect(parseCsv('x\n1\n""\n2\n').records.map((r) => r.fields)).toEqual([["1"], [""], ["2"]]);
  });
});

describe("CsvParser: errors name the line and column", () => {
  it("rejects an empty file", () => {
    for (const input of ["", "\uFEFF"]) {
      const err = parseError(input);
      expect(err.message).toBe("the file is empty");
      expect(err.line).toBe(1);
    }
  });

  it("rejects a file of empty lines (no header)", () => {
    expect(parseError("\n\r\n\n").message).toMatch(/no header row/);
  });

  it("rejects a header with no data rows", () => {
    for (const input of ["a,b\n", "a,b", "a,b\n\n\n"]) {
      const err = parseError(input);
      expect(err.message).toBe("line 1: the file has a header but no data rows");
      expect(err.line).toBe(1);
    }
  });

  it("rejects empty and blank column names", () => {
    const err = parseError("a,,c\n1,2,3\n");
    expect(err.message).toMatch(/^line 1: column 2 of the header has an empty name/);
    expect(err.column).toBe(2);
    expect(parseError("a,  \n1,2\n").column).toBe(2);
    expect(parseError("\n\nx,\n1,2\n").line).toBe(3);
  });

  it("rejects duplicate column names, naming both columns", () => {
    const err = parseError("id,name,id\n1,2,3\n");
    expect(err.message).toBe('line 1: duplicate column name "id" (columns 1 and 3); column names must be unique');
    expect(err).toMatchObject({ line: 1, column: 3, columnName: "id" });
  });

  it("rejects a row with the wrong number of fields", () => {
    const rows = Array.from({ length: 15 }, (_, i) => `${i},b,c,d`);
    const err = parseError(`a,b,c,d\n${rows.join("\n")}\n1,2,3,4,5\n`);
    expect(err.message).toBe("line 17 has 5 fields, expected 4 (the header has 4 columns)");
    expect(err.line).toBe(17);
    expect(parseError("a,b\n1\n").message).toBe("line 2 has 1 field, expected 2 (the header has 2 columns)");
    expect(parseError("a\n1,2\n").message).toBe("line 2 has 2 fields, expected 1 (the header has 1 column)");
  });

  it("counts newlines inside quoted fields in line numbers", () => {
    const err = parseError('a,b\n"x\ny\nz",1\n1,2,3\n');
    expect(err.line).toBe(5);
  });

  it("rejects invalid UTF-8 with its line and byte offset", () => {
    const bytes = new Uint8Array([...enc("a,b\n1,2\n3,"), 0xff, ...enc("x\n")]);
    const err = parseError(bytes);
    expect(err.message).toBe('line 3, column 2 ("b"): invalid UTF-8 at byte offset 10; save the file as UTF-8');
    expect(err).toMatchObject({ line: 3, column: 2, columnName: "b", byteOffset: 10 });
  });

  it("rejects Latin-1 text (a common wrong encoding), an overlong form and a truncated character at the end", () => {
    const latin1 = new Uint8Array([...enc("name\nZo"), 0xeb, ...enc("\n")]); // "Zoë" in Latin-1
    expect(parseError(latin1)).toMatchObject({ line: 2, byteOffset: 7 });
    const overlong = new Uint8Array([...enc("a\n"), 0xc0, 0xaf, ...enc("\n")]);
    expect(parseError(overlong)).toMatchObject({ line: 2, byteOffset: 2 });
    const truncated = new Uint8Array([...enc("a\nx"), 0xe2, 0x82]);
    expect(parseError(truncated)).toMatchObject({ line: 2, byteOffset: 3 });
  });

  it("rejects a NUL byte with its line, column and byte offset", () => {
    const bytes = new Uint8Array([...enc("a,b\n1,2\n3,4"), 0, ...enc("\n")]);
    const err = parseError(bytes);
    expect(err.message).toMatch(/^line 3, column 2 \("b"\): the file contains a NUL byte \(at byte offset 11\)/);
    expect(err).toMatchObject({ line: 3, column: 2, byteOffset: 11 });
  });

  it("rejects a quoted field that never closes, naming the line it opened on", () => {
    const err = parseError('a,b\n1,2\n3,"open\nstill open\n');
    expect(err.message).toBe('line 3, column 2 ("b"): a quoted field is never closed (the file ends inside it)');
    expect(err).toMatchObject({ line: 3, column: 2 });
  });

  it("rejects text after a closing quote (an unescaped quote inside a quoted field)", () => {
    const err = parseError('a,b\n1,"say "hi" now"\n');
    expect(err.message).toMatch(/^line 2, column 2 \("b"\): unexpected "h" after the closing quote/);
    expect(err).toMatchObject({ line: 2, column: 2, columnName: "b" });
    expect(parseError('a,b\n"x" ,1\n').column).toBe(1);
  });

  it("keeps failing after an error", () => {
    const parser = new CsvParser();
    expect(() => parser.push(enc("a,a\n"))).toThrow(CsvError);
    expect(() => parser.push(enc("1,2\n"))).toThrow(/duplicate/);
    expect(() => parser.end()).toThrow(/duplicate/);
  });
});

describe("CsvParser: chunk boundaries", () => {
  // Quotes, escaped quotes, CRLF inside and outside quotes, multi-byte characters (2, 3 and 4
  // bytes), a BOM, empty lines, empty fields and a missing final newline.
  const messy =
    '\uFEFFid,"na,me",note\r\n1,"Zoë ""Z"" Ångström","line1\r\nline2"\r\n\r\n2,東京,🚀 rocket\r\n3,"",\r\n4,"a\nb\rc",x"y\r\n5,plain,"end"';
  const bytes = enc(messy);
  const expected = parseChunked(bytes, [bytes.length]);

  it("parses the messy sample as expected", () => {
    expect(expected.header).toEqual(["id", "na,me", "note"]);
    expect(expected.records).toEqual([
      { fields: ["1", 'Zoë "Z" Ångström', "line1\r\nline2"], line: 2 },
      { fields: ["2", "東京", "🚀 rocket"], line: 5 },
      { fields: ["3", "", ""], line: 6 },
      { fields: ["4", "a\nb\rc", 'x"y'], line: 7 },
      { fields: ["5", "plain", "end"], line: 10 },
    ]);
  });

  it("gives the same records for 1-byte chunks and every split point", () => {
    expect(parseChunked(bytes, [1])).toEqual(expected);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new CsvParser();
      const records = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut)), ...parser.end()];
      expect(records, `split at ${cut}`).toEqual(expected.records);
    }
  });

  it("gives the same records for random chunkings (seeded)", () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 300; trial++) {
      const sizes = Array.from({ length: 8 }, () => 1 + Math.floor(rand() * 9));
      expect(parseChunked(bytes, sizes), `sizes ${sizes.join(",")}`).toEqual(expected);
    }
  });

  it("reports the same error whatever the chunking", () => {
    const bad = new Uint8Array([...enc('a,b\n"x\ny",1\n2,'), 0xe2, 0x28, 0xa1, ...enc("\n")]);
    const whole = parseError(bad);
    for (let size = 1; size <= 6; size++) {
      const parser = new CsvParser();
      const run = () => {
        for (let at = 0; at < bad.length; at += size) parser.push(bad.subarray(at, at + size));
        parser.end();
      };
      expect(run).toThrow(whole.message);
    }
    expect(whole).toMatchObject({ line: 4, column: 2, byteOffset: 14 });
  });
});

describe("CsvScanner", () => {
  it("hands fields over as spans of ASCII chunks with their bytes", () => {
    const seen: string[] = [];
    let text = "";
    let bytes: Uint8Array | undefined;
    const scanner = new CsvScanner({}, (header) => {
      seen.push(`header:${header.join("|")}`);
      return {
        wantsBytes: true,
        chunk(t, b) {
          text = t;
          bytes = b;
        },
        span(start, end) {
          seen.push(`span:${text.slice(start, end)}:${bytes === undefined ? "text" : new TextDecoder().decode(bytes.subarray(start, end))}`);
        },
        field(value) {
          seen.push(`field:${value}`);
        },
        record(line) {
          seen.push(`record:${line}`);
        },
      };
    });
    scanner.push(enc('a,b\n1,"x""y"\n2,3'));
    scanner.push(enc("4\n"));
    scanner.end();
    expect(seen).toEqual(["header:a|b", "span:1:1", 'field:x"y', "record:2", "span:2:2", "field:34", "record:3"]);
  });
});
