import { describe, expect, it } from "vitest";
import { batchesToColumns } from "./columns.js";
import { conformBatch } from "./conform.js";
import { CsvIngest } from "./ingest.js";

async function ipcOf(csv: string, rowsPerBatch: number): Promise<Uint8Array[]> {
  const ingest = new CsvIngest({ rowsPerBatch });
  const out: Uint8Array[] = [];
  for (const b of ingest.push(Buffer.from(csv))) out.push(b.ipc);
  const result = ingest.finish();
  for (const b of result.lastBatches) out.push(b.ipc);
  // Batches written before a later one changed a column's type are rewritten, as uploads do.
  return out.map((ipc, i) => (result.staleBatches.includes(i) ? conformBatch(ipc, result.schema) : ipc));
}

describe("batchesToColumns", () => {
  it("concatenates every batch's columns with NaN or null where values are missing", async () => {
    const csv = "a,b,c,d\n1,2.5,x,true\n,NA,,false\n3,4.25,z,\n";
    const ipcs = await ipcOf(csv, 2);
    expect(ipcs.length).toBeGreaterThan(1);
    const cols = batchesToColumns(ipcs);
    expect(cols.map((c) => c.name)).toEqual(["a", "b", "c", "d"]);
    expect(Array.from(cols[0]!.values as Float64Array)).toEqual([1, NaN, 3]);
    expect(Array.from(cols[1]!.values as Float64Array)).toEqual([2.5, NaN, 4.25]);
    expect(cols[2]!.values).toEqual(["x", null, "z"]);
    expect(cols[3]!.values).toEqual([true, false, null]);
  });

  it("returns no columns for no batches", () => {
    expect(batchesToColumns([])).toEqual([]);
  });
});
