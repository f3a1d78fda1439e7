import { describe, expect, it } from "vitest";
import { parsePredictBody } from "./predict-routes.js";

describe("parsePredictBody", () => {
  it("returns the rows of a well-formed body", () => {
    expect(parsePredictBody('{"rows":[{"a":1,"b":"x"},{"a":null}]}')).toEqual([{ a: 1, b: "x" }, { a: null }]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["an empty body", "  ", /empty/],
    ["bad JSON", "{rows:", /not valid JSON/],
    ["no rows", "{}", /"rows"/],
    ["rows that are not a list", '{"rows":{"a":1}}', /"rows"/],
    ["zero rows", '{"rows":[]}', /1 to 10000 rows, got 0/],
    ["too many rows", JSON.stringify({ rows: Array.from({ length: 10_001 }, () => ({})) }), /got 10001/],
    ["a row that is not an object", '{"rows":[{"a":1},[1,2]]}', /row 1: must be an object/],
  ];
  for (const [what, body, message] of bad) {
    it(`refuses ${what} with INVALID_ARGUMENT`, () => {
      expect(() => parsePredictBody(body)).toThrow(message);
      try {
        parsePredictBody(body);
      } catch (err) {
        expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
      }
    });
  }
});
