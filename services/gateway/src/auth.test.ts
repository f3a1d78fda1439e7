import { describe, expect, it } from "vitest";
import { bearerMatches } from "./auth.js";

describe("bearerMatches", () => {
  const token = "s3cret-token";

  it("accepts exactly 'Bearer TOKEN'", () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
  });

  it("tolerates surrounding whitespace after the scheme", () => {
    expect(bearerMatches(`Bearer ${token}  `, token)).toBe(true);
    expect(bearerMatches(`Bearer   ${token}`, token)).toBe(true);
  });

  it("rejects a missing or empty header", () => {
    expect(bearerMatches(undefined, token)).toBe(false);
    expect(bearerMatches("", token)).toBe(false);
    expect(bearerMatches("Bearer ", token)).toBe(false);
  });

  it("rejects other schemes and a bare token", () => {
    expect(bearerMatches(token, token)).toBe(false);
    expect(bearerMatches(`Basic ${token}`, token)).toBe(false);
    expect(bearerMatches(`Token ${token}`, token)).toBe(false);
    expect(bearerMatches(`Bearer:${token}`, token)).toBe(false);
  });

  it("rejects wrong tokens, including prefixes, extensions and case changes", () => {
    expect(bearerMatches("Bearer wrong-token!", token)).toBe(false);
    expect(bearerMatches(`Bearer ${token.slice(0, -1)}`, token)).toBe(false);
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(bearerMatches(`Bearer ${token.toUpperCase()}`, token)).toBe(false);
  });

  it("compares bytes, so a multi-byte token of the same character count does not match", () => {
    // "é" is 2 bytes in UTF-8: the lengths differ as buffers and must not throw in timingSafeEqual.
    expect(bearerMatches("Bearer s3cret-tokeé", "s3cret-token")).toBe(false);
    expect(bearerMatches("Bearer pässwörd1", "pässwörd1")).toBe(true);
  });

  it("treats the scheme name case-insensitively", () => {
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`BEARER ${token}`, token)).toBe(true);
    expect(bearerMatches(`Basic ${token}`, token)).toBe(false);
  });
});
