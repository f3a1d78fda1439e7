import { describe, expect, it } from "vitest";
import { assertObjectKey, objectKeyProblem } from "./object-key.js";

describe("object keys", () => {
  it.each([
    "a",
    "datasets/ds_1/batch-000000.arrow",
    "models/m-1.json",
    "predictions/p1/result-000000.arrow",
    "a.b/..c/d..",
    "x".repeat(512),
  ])("accepts %s", (key) => {
    expect(objectKeyProblem(key)).toBeUndefined();
  });

  it.each([
    ["", "must not be empty"],
    ["x".repeat(513), "at most 512 characters"],
    ["/etc/passwd", "must not start with '/'"],
    ["a//b", "segment 2 is empty"],
    ["a/", "segment 2 is empty"],
    ["..", 'segment 1 is ".."'],
    ["a/../../etc", 'segment 2 is ".."'],
    ["a/./b", 'segment 2 is "."'],
    ["a b", "outside [A-Za-z0-9_.-]"],
    ["a\\b", "outside [A-Za-z0-9_.-]"],
    ["a\0b", "outside [A-Za-z0-9_.-]"],
    ["a\nb", "outside [A-Za-z0-9_.-]"],
    ["caf\u00e9", "outside [A-Za-z0-9_.-]"],
    ["a:b", "outside [A-Za-z0-9_.-]"],
    ["~/x", "outside [A-Za-z0-9_.-]"],
  ])("refuses %j: %s", (key, problem) => {
    expect(objectKeyProblem(key)).toContain(problem);
    expect(() => assertObjectKey(key)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("names the key, shortened, in the error", () => {
    expect(() => assertObjectKey("a/../b")).toThrow('invalid object key "a/../b": segment 2 is ".."');
    expect(() => assertObjectKey(`${"y".repeat(600)}`)).toThrow(/"y{80}\.\.\."/);
  });
});
