import { describe, expect, it } from "vitest";
import { RecordBatchStreamWriter, Table, tableFromArrays, tableFromIPC, vectorFromArray, Float64, Utf8 } from "apache-arrow";
import { concatArrowStreams } from "./arrow-stream.js";

function ipcOf(a: number[], s: (string | null)[]): Uint8Array {
  const table = new Table({ a: vectorFromArray(a, new Float64()), s: vectorFromArray(s, new Utf8()) });
  return RecordBatchStreamWriter.writeAll(table).toUint8Array(true);
}

async function collect(parts: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of parts) chunks.push(c);
  return Buffer.concat(chunks);
}

async function* from(items: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* items;
}

describe("concatArrowStreams", () => {
  it("joins standalone streams into one stream with every row in order", async () => {
    const joined = await collect(concatArrowStreams(from([ipcOf([1, 2], ["x", null]), ipcOf([3], ["y"]), ipcOf([4, 5, 6], ["z", "w", "v"])])));
    const table = tableFromIPC(joined);
    expect(table.numRows).toBe(6);
    expect(table.batches).toHaveLength(3);
    expect([...table.getChild("a")!]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...table.getChild("s")!]).toEqual(["x", null, "y", "z", "w", "v"]);
  });

  it("refuses streams whose schemas differ", async () => {
    const other = RecordBatchStreamWriter.writeAll(tableFromArrays({ b: Float64Array.from([1]) })).toUint8Array(true);
    await expect(collect(concatArrowStreams(from([ipcOf([1], ["x"]), other])))).rejects.toThrow(/different schemas/);
  });

  it("yields nothing for no streams and rejects bytes that are not IPC", async () => {
    expect((await collect(concatArrowStreams(from([])))).byteLength).toBe(0);
    await expect(collect(concatArrowStreams(from([new Uint8Array([1, 2, 3])])))).rejects.toThrow(/not an Arrow IPC stream/);
  });
});
