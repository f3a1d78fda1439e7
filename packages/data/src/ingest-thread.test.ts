import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
// The worker script exists only compiled (dist/ingest-worker.js; `npm test` builds first), so
// the threaded ingest is imported from the built package, and the errors from it too: a CsvError
// class from src/ would be another class than the one the built code throws.
import { CsvError, CsvIngest, IngestThreads, type IngestBatch, type IngestResult, type ThreadedIngest, type ThreadedIngestOptions } from "@dml/data";

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url));

const threads = new IngestThreads(1);
afterAll(() => threads.close());

/** Feeds `bytes` in `chunkSize` pieces while a second loop collects the batches, as the gateway does. */
async function threaded(bytes: Uint8Array, options: ThreadedIngestOptions = {}, chunkSize = 1 << 16): Promise<{ batches: IngestBatch[]; result: IngestResult }> {
  const job = threads.open(options);
  const batches: IngestBatch[] = [];
  const collecting = (async () => {
    for (let b = await job.nextBatch(); b !== undefined; b = await job.nextBatch()) batches.push(b);
  })();
  try {
    for (let at = 0; at < bytes.length; at += chunkSize) await job.push(bytes.subarray(at, at + chunkSize));
    job.end();
    await collecting;
    return { batches, result: await job.finish() };
  } catch (err) {
    job.abort();
    await collecting.catch(() => undefined);
    throw err;
  }
}

function inThisThread(bytes: Uint8Array, options: ThreadedIngestOptions = {}): { batches: IngestBatch[]; result: IngestResult } {
  const job = new CsvIngest(options);
  const batches: IngestBatch[] = [];
  for (let at = 0; at < bytes.length; at += 1 << 16) batches.push(...job.push(bytes.subarray(at, at + (1 << 16))));
  const result = job.finish();
  return { batches: [...batches, ...result.lastBatches], result: { ...result, lastBatches: [] } };
}

/** A numeric CSV of `rows` rows whose third column turns from integers to decimals halfway. */
function numericCsv(rows: number): Uint8Array {
  const lines = ["id,x,y,label"];
  for (let i = 0; i < rows; i++) lines.push(`${i},${(i * 0.37) % 11},${i < rows / 2 ? i % 7 : (i % 7) + 0.5},${i % 3 === 0 ? "a" : "b"}`);
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

describe("ThreadedIngest (CsvIngest in a worker thread)", () => {
  it("gives the same batches, bytes for bytes, and the same schema and statistics as CsvIngest", async () => {
    for (const [bytes, options] of [
      [fixture("iris.csv"), { rowsPerBatch: 64 }],
      [fixture("wine.csv"), {}],
      [numericCsv(5000), { rowsPerBatch: 1000 }],
    ] as const) {
      const expected = inThisThread(bytes, options);
      const got = await threaded(bytes, options, 777);
      expect(got.batches.map((b) => [b.index, b.firstRow, b.rows])).toEqual(expected.batches.map((b) => [b.index, b.firstRow, b.rows]));
      got.batches.forEach((b, i) => expect(Buffer.from(b.ipc).equals(Buffer.from(expected.batches[i]!.ipc))).toBe(true));
      expect(got.result).toEqual(expected.result);
    }
  });

  it("reports stale batches when a later batch promotes a column", async () => {
    const { result } = await threaded(numericCsv(4000), { rowsPerBatch: 1000 });
    expect(result.schema.find((c) => c.name === "y")!.type).toBe("number");
    expect(result.staleBatches).toEqual([0, 1]);
  });

  it("hands out a batch as soon as it is complete, before the upload ends (a slow client)", async () => {
    const job = threads.open({ rowsPerBatch: 100 });
    try {
      const bytes = numericCsv(250);
      await job.push(bytes); // 250 rows: two complete batches, no end yet
      const first = await job.nextBatch();
      const second = await job.nextBatch();
      expect([first?.rows, second?.rows]).toEqual([100, 100]);
      job.end();
      expect((await job.nextBatch())?.rows).toBe(50);
      expect(await job.nextBatch()).toBeUndefined();
      expect((await job.finish()).rows).toBe(250);
    } finally {
      job.abort();
    }
  });

  it("rejects bad CSV with the same CsvError, line and column included, and the worker serves the next upload", async () => {
    const bad = new TextEncoder().encode("a,b\n1,2\n3\n");
    const err = await threaded(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsvError);
    expect((err as CsvError).line).toBe(3);
    expect((err as CsvError).message).toMatch(/line 3/);
    const typed = await threaded(new TextEncoder().encode("a,b\n1,x\n"), { types: { b: "integer" } }).catch((e: unknown) => e);
    expect(typed).toBeInstanceOf(CsvError);
    expect((typed as CsvError).details).toMatchObject({ line: 2, column: 2, columnName: "b" });
    expect((await threaded(fixture("iris.csv"))).result.rows).toBe(150);
  });

  it("abandons an upload midway: pending calls reject, and the next upload is unaffected", async () => {
    const job: ThreadedIngest = threads.open({ rowsPerBatch: 100 });
    await job.push(numericCsv(1000).subarray(0, 5000));
    const waiting = job.finish();
    job.abort();
    await expect(waiting).rejects.toThrow(/abandoned/);
    await expect(job.nextBatch()).rejects.toThrow(/abandoned/);
    const after = await threaded(numericCsv(300), { rowsPerBatch: 100 });
    expect(after.result.rows).toBe(300);
    expect(after.batches.map((b) => b.firstRow)).toEqual([0, 100, 200]);
  });

  it("bounds what it holds: push() returns only once the worker is at most 4 MiB behind", async () => {
    const job = threads.open({});
    try {
      // 18 MB in one push: without the bound, all of it would still be unparsed when push() returns.
      const big = new TextEncoder().encode("a\n" + "12345678\n".repeat(2_000_000));
      await job.push(big);
      const unparsed = (job as unknown as { unparsed: number }).unparsed;
      expect(unparsed).toBeLessThanOrEqual(4 << 20);
      job.end();
      let rows = 0;
      for (let b = await job.nextBatch(); b !== undefined; b = await job.nextBatch()) rows += b.rows;
      expect(rows).toBe(2_000_000);
    } finally {
      job.abort();
    }
  });
});
