import { describe, expect, it } from "vitest";
import { jsonChunks, JsonSyntaxError, parseJsonBytes } from "./json-stream.js";

const parse = (s: string) => parseJsonBytes(Buffer.from(s));
const text = (v: unknown) => Buffer.concat([...jsonChunks(v)]).toString("utf8");

describe("streaming JSON", () => {
  it("round trips plain values like JSON.stringify/parse", () => {
    const v = { a: [1, -2.5, 1e-300, "x\"\\\n☃", true, false, null], b: { c: {} }, d: [], "é": "ü" };
    expect(text(v)).toBe(JSON.stringify(v));
    expect(parse(text(v))).toEqual(v);
  });

  it("streams typed arrays as tagged base64 in bounded chunks", () => {
    const f64 = Float64Array.from({ length: 30_000 }, (_, i) => Math.sin(i) * 1e6);
    const i32 = Int32Array.from({ length: 50_001 }, (_, i) => i * 7919 - 100_000);
    const f32 = Float32Array.from([1.5, -0, NaN]);
    const u8 = Uint8Array.from([0, 255, 7]);
    const v = { f64, nested: [{ i32 }], f32, u8, sub: f64.subarray(3, 10) };
    const chunks = [...jsonChunks(v)];
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.byteLength).toBeLessThan(200 * 1024);
    const back = parseJsonBytes(Buffer.concat(chunks)) as typeof v;
    expect(back.f64).toBeInstanceOf(Float64Array);
    expect(back.f64).toEqual(f64);
    expect(back.nested[0]!.i32).toEqual(i32);
    expect(Array.from(back.f32)).toEqual([1.5, -0, NaN]);
    expect(back.u8).toEqual(u8);
    expect(Array.from(back.sub)).toEqual(Array.from(f64.subarray(3, 10)));
    // Same form as core/state.ts's encodeState.
    expect(JSON.parse(text({ u8 }))).toEqual({ u8: { $u8: Buffer.from(u8).toString("base64") } });
  });

  it("writes non-finite numbers as proto3 JSON strings", () => {
    expect(text([Infinity, -Infinity, NaN])).toBe('["Infinity","-Infinity","NaN"]');
  });

  it("refuses bad JSON with a position, never evaluates anything", () => {
    for (const bad of ['{"a":1', '{"a":1}x', "[1,]", '{"a":1,"a":2}', "01", "NaN", '"\u0001"', '{"$f64":"AAA"}', '{"$f64":"AAAAAAA="}', '{"$i32":"AA!A"}', "[".repeat(1000) + "]".repeat(1000), "(function(){})()"]) {
      expect(() => parse(bad), bad.slice(0, 20)).toThrow(JsonSyntaxError);
    }
  });

  it("a __proto__ key is an ordinary property", () => {
    const o = parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
