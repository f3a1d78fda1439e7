import { describe, expect, it } from "vitest";
import { decodeUtf8, firstInvalidUtf8, incompleteTail } from "./utf8.js";

const bytes = (...xs: number[]) => new Uint8Array(xs);

describe("utf8", () => {
  it("finds a character cut at the end of a chunk", () => {
    expect(incompleteTail(bytes(0x61, 0xe2, 0x82))).toBe(2); // "a" + 2 of the 3 bytes of "€"
    expect(incompleteTail(bytes(0x61, 0xe2, 0x82, 0xac))).toBe(0);
    expect(incompleteTail(bytes(0xf0, 0x9f, 0x9a))).toBe(3); // 3 of the 4 bytes of "🚀"
    expect(incompleteTail(bytes(0x61))).toBe(0);
    expect(incompleteTail(bytes(0xff))).toBe(0); // not a lead byte: validation reports it
  });

  it("locates the first invalid sequence", () => {
    expect(firstInvalidUtf8(new TextEncoder().encode("Zoë 🚀 東京"))).toBe(-1);
    expect(firstInvalidUtf8(bytes(0x61, 0xc3))).toBe(1); // truncated
    expect(firstInvalidUtf8(bytes(0x61, 0xc0, 0x80))).toBe(1); // overlong
    expect(firstInvalidUtf8(bytes(0xed, 0xa0, 0x80))).toBe(0); // surrogate
    expect(firstInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0); // past U+10FFFF
    expect(firstInvalidUtf8(bytes(0x61, 0x80))).toBe(1); // stray continuation byte
  });

  it("decodes valid text and says when it is ASCII", () => {
    expect(decodeUtf8(new TextEncoder().encode("abc"))).toEqual({ text: "abc", ascii: true });
    expect(decodeUtf8(new TextEncoder().encode("Zoë"))).toEqual({ text: "Zoë", ascii: false });
    expect(decodeUtf8(bytes(0xff))).toBeUndefined();
  });
});
