import { describe, expect, it } from "vitest";
import { Table, tableToIPC, Utf8, vectorFromArray } from "apache-arrow";
import { parseCsv } from "@dml/data";
import { ResultCsv, resultRows } from "./result-rows.js";

// A result object as the trainer writes it: row (float64), prediction, probability_<class>.
function classifierResult(first: number, labels: string[]): Uint8Array {
  const n = labels.length;
  return tableToIPC(
    new Table({
      row: vectorFromArray(Float64Array.from({ length: n }, (_, i) => first + i)),
      prediction: vectorFromArray(labels, new Utf8()),
      "probability_a,b": vectorFromArray(Float64Array.from({ length: n }, (_, i) => 0.1 * i)),
      probability_z: vectorFromArray(Float64Array.from({ length: n }, (_, i) => 1 - 0.1 * i)),
    }),
    "stream",
  );
}

describe("resultRows", () => {
  it("turns a classifier's result into rows with probabilities by class, a range of them when asked", () => {
    const ipc = classifierResult(40, ["z", "a,b", "z"]);
    expect(resultRows(ipc, { offset: 1, limit: 1 })).toEqual([{ row: 41, prediction: "a,b", probabilities: { "a,b": 0.1, z: 0.9 } }]);
    expect(resultRows(ipc).map((r) => r.row)).toEqual([40, 41, 42]);
  });

  it("leaves probabilities out for a regressor", () => {
    const ipc = tableToIPC(new Table({ row: vectorFromArray(Float64Array.of(0, 1)), prediction: vectorFromArray(Float64Array.of(1.5, -2)) }), "stream");
    expect(resultRows(ipc)).toEqual([
      { row: 0, prediction: 1.5 },
      { row: 1, prediction: -2 },
    ]);
  });
});

describe("ResultCsv", () => {
  it("writes integer row indexes, quoted labels and exact numbers that parse back", () => {
    const rows = resultRows(classifierResult(7, ['say "hi"', "z"]));
    const csv = new ResultCsv();
    const text = csv.header(rows[0]) + csv.lines(rows);
    expect(text.split("\n")[0]).toBe('row,prediction,"probability_a,b",probability_z');
    const { header, records } = parseCsv(text);
    expect(header).toEqual(["row", "prediction", "probability_a,b", "probability_z"]);
    expect(records.map((r) => r.fields)).toEqual([
      ["7", 'say "hi"', "0", "1"],
      ["8", "z", "0.1", "0.9"],
    ]);
  });

  it("writes just the header of an empty result", () => {
    expect(new ResultCsv().header(undefined)).toBe("row,prediction\n");
  });
});
