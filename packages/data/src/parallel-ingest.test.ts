import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
// The worker script exists only compiled (dist/ingest-worker.js; `npm test` builds first), so
// the threaded ingest is imported from the built package, and the errors from it too: a CsvError
// class from src/ would be another class than the one the built code throws.
import { CsvError, CsvIngest, IngestThreads, type IngestBatch, type IngestResult, type ParallelIngest, type ThreadedIngestOptions } from "@dml/data";

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const utf8 = (s: string) => new TextEncoder().encode(s);

const threads = new IngestThreads(2);
afterAll(() => threads.close());

interface Ingested {
  batches: IngestBatch[];
  result: Omit<IngestResult, "lastBatches">;
  parts: number;
}

/** Feeds `bytes` in `chunkSize` pieces while a second loop collects the batches, as the gateway does. */
async function parallel(bytes: Uint8Array, options: ThreadedIngestOptions = {}, chunkSize = 1 << 16): Promise<Ingested> {
  const job = threads.open(options);
  const batches: IngestBatch[] = [];
  const collecting = (async () => {
    for (let b = await job.nextBatch(); b !== undefined; b = await job.nextBatch()) batches.push(b);
  })();
  try {
    for (let at = 0; at < bytes.length; at += chunkSize) await job.push(bytes.subarray(at, at + chunkSize));
    job.end();
    await collecting;
    const { lastBatches: _, ...result } = await job.finish();
    batches.sort((a, b) => a.index - b.index);
    return { batches, result, parts: (job as unknown as { parts: unknown[] }).parts.length };
  } catch (err) {
    job.abort();
    await collecting.catch(() => undefined);
    throw err;
  }
}

function sequential(bytes: Uint8Array, options: ThreadedIngestOptions = {}): Omit<Ingested, "parts"> {
  const job = new CsvIngest(options);
  const batches: IngestBatch[] = [];
  for (let at = 0; at < bytes.length; at += 1 << 16) batches.push(...job.push(bytes.subarray(at, at + (1 << 16))));
  const { lastBatches, ...result } = job.finish();
  return { batches: [...batches, ...lastBatches], result };
}

/** Statistics with mean and std to 10 significant digits: parts merge them in another order. */
function rounded(result: Omit<IngestResult, "lastBatches">): unknown {
  const r = (x: number | undefined) => (x === undefined ? x : Number(x.toPrecision(10)));
  return { ...result, columns: result.columns.map((c) => ({ ...c, stats: { ...c.stats, mean: r(c.stats.mean), std: r(c.stats.std) } })) };
}

function expectSameAsSequential(got: Ingested, bytes: Uint8Array, options: ThreadedIngestOptions = {}): void {
  const expected = sequential(bytes, options);
  expect(got.batches.map((b) => [b.index, b.firstRow, b.rows])).toEqual(expected.batches.map((b) => [b.index, b.firstRow, b.rows]));
  got.batches.forEach((b, i) => expect(Buffer.from(b.ipc).equals(Buffer.from(expected.batches[i]!.ipc)), `batch ${i}`).toBe(true));
  expect(rounded(got.result)).toEqual(rounded(expected.result));
}

/** A numeric CSV; column y turns from integers to decimals at `promoteAt`, label is a category. */
function numericCsv(rows: number, { eol = "\n", promoteAt = rows / 2, blankEvery = 0 } = {}): Uint8Array {
  const lines = ["id,x,y,label"];
  for (let i = 0; i < rows; i++) {
    lines.push(`${i},${((i * 0.37) % 11).toFixed(3)},${i < promoteAt ? i % 7 : (i % 7) + 0.5},${i % 3 === 0 ? "a" : "b"}`);
    if (blankEvery > 0 && i % blankEvery === 0) lines.push("");
  }
  return utf8(lines.join(eol) + eol);
}

describe("ParallelIngest: an upload cut into parts parsed by worker threads", () => {
  it("gives the batches CsvIngest gives, byte for byte, and the same schema and statistics", async () => {
    for (const [bytes, options, chunk] of [
      [fixture("iris.csv"), { rowsPerBatch: 64 }, 777],
      [fixture("wine.csv"), { rowsPerBatch: 50 }, 1000],
      [fixture("diabetes.csv"), {}, 4096],
      [numericCsv(5000), { rowsPerBatch: 1000 }, 3001],
    ] as const) {
      const got = await parallel(bytes, options, chunk);
      expect(got.parts).toBe(got.batches.length); // one part per batch: really cut
      expectSameAsSequential(got, bytes, options);
    }
  });

  it("cuts CRLF files, files with blank lines and a last line without a line break the same way", async () => {
    const crlf = numericCsv(2500, { eol: "\r\n", blankEvery: 97 });
    for (const chunk of [1, 2, 1013]) expectSameAsSequential(await parallel(crlf, { rowsPerBatch: 500 }, chunk), crlf, { rowsPerBatch: 500 });
    const unterminated = utf8("a,b\n1,2\n3,4\n\n\n5,6");
    const got = await parallel(unterminated, { rowsPerBatch: 2 }, 3);
    expectSameAsSequential(got, unterminated, { rowsPerBatch: 2 });
    expect(got.result.rows).toBe(3);
    // Exactly a multiple of the batch size, then blank lines: no empty part.
    const exact = utf8("a\n1\n2\n\n\n");
    expect((await parallel(exact, { rowsPerBatch: 2 })).batches.map((b) => b.rows)).toEqual([2]);
  });

  it("promotes a column typed in an early part and lists those batches as stale, as CsvIngest does", async () => {
    const bytes = numericCsv(4000, { promoteAt: 3500 });
    const got = await parallel(bytes, { rowsPerBatch: 1000 });
    expect(got.result.schema.find((c) => c.name === "y")!.type).toBe("number");
    expect(got.result.staleBatches).toEqual([0, 1, 2]);
    expectSameAsSequential(got, bytes, { rowsPerBatch: 1000 });
  });

  it("stores a later part as the earlier parts' types call for: text keeps its spelling, no later batch is stale", async () => {
    // code: text in the first rows, then only digit strings with leading zeros; z: missing for a
    // whole batch, integers around it; w: decimals first, whole numbers later.
    const lines = ["code,z,w"];
    for (let i = 0; i < 4000; i++) {
      const code = i < 10 ? `A${i}` : String(i % 1000).padStart(4, "0");
      const z = i >= 1000 && i < 2000 ? "" : String(i);
      const w = i < 500 ? (i / 4).toFixed(2) : String(i);
      lines.push(`${code},${z},${w}`);
    }
    const bytes = utf8(lines.join("\n") + "\n");
    const sessions = () => (threads as unknown as { nextSession: number }).nextSession;
    for (const chunk of [65536, 5000]) {
      const before = sessions();
      const got = await parallel(bytes, { rowsPerBatch: 500 }, chunk);
      expect(got.parts).toBe(8);
      expect(sessions() - before).toBeGreaterThan(8); // part 1 at least was parsed again
      expectSameAsSequential(got, bytes, { rowsPerBatch: 500 });
      expect(got.result.staleBatches).toEqual([]);
      expect(got.result.schema.map((c) => c.type)).toEqual(["string", "integer", "number"]);
    }
  });

  it("parses on in one piece from the first quote or lone CR, with the same result", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => (i === 1700 ? `${i},"quoted, with a comma"` : `${i},plain ${i % 5}`));
    const quoted = utf8(["n,text", ...rows].join("\n") + "\n");
    const got = await parallel(quoted, { rowsPerBatch: 500 }, 8192);
    expectSameAsSequential(got, quoted, { rowsPerBatch: 500 });
    expect(got.parts).toBeLessThan(got.batches.length);
    const loneCr = utf8("a,b\n" + Array.from({ length: 1000 }, (_, i) => `${i},${i * 2}`).join("\r") + "\r");
    expectSameAsSequential(await parallel(loneCr, { rowsPerBatch: 100 }, 500), loneCr, { rowsPerBatch: 100 });
    const crOnly = utf8("a,b\r" + Array.from({ length: 1000 }, (_, i) => `${i},${i * 2}`).join("\r"));
    const whole = await parallel(crOnly, { rowsPerBatch: 100 }, 700);
    expect(whole.parts).toBe(1);
    expectSameAsSequential(whole, crOnly, { rowsPerBatch: 100 });
    const quotedHeader = utf8('"a","b"\n' + Array.from({ length: 500 }, (_, i) => `${i},${i}`).join("\n"));
    const one = await parallel(quotedHeader, { rowsPerBatch: 100 });
    expect(one.parts).toBe(1);
    expectSameAsSequential(one, quotedHeader, { rowsPerBatch: 100 });
  });

  it("names the line, column and byte offset in the whole file for an error in a later part", async () => {
    const good = numericCsv(3000);
    const text = new TextDecoder().decode(good).split("\n");
    text[2501] = "2500,1.5"; // line 2502: two fields
    const short = utf8(text.join("\n"));
    const expected = (() => {
      try {
        sequential(short, { rowsPerBatch: 500 });
      } catch (e) {
        return e as CsvError;
      }
      throw new Error("expected a CsvError");
    })();
    const err = (await parallel(short, { rowsPerBatch: 500 }).catch((e: unknown) => e)) as CsvError;
    expect(err).toBeInstanceOf(CsvError);
    expect(err.message).toBe(expected.message);
    expect(err.line).toBe(2502);

    const nul = new Uint8Array(good);
    const at = good.indexOf(10, 40_000) + 3;
    nul[at] = 0;
    const nulError = (await parallel(nul, { rowsPerBatch: 500 }).catch((e: unknown) => e)) as CsvError;
    expect(nulError).toBeInstanceOf(CsvError);
    expect(nulError.details).toMatchObject({ byteOffset: at });
    expect(nulError.message).toMatch(new RegExp(`byte offset ${at}\\b`));
  });

  it("reports the first error in file order when two parts fail", async () => {
    const lines = new TextDecoder().decode(numericCsv(3000)).split("\n");
    lines[2800] = "x"; // part 6 (rows of 500)
    lines[1200] = "y"; // part 3
    const err = (await parallel(utf8(lines.join("\n")), { rowsPerBatch: 500 }).catch((e: unknown) => e)) as CsvError;
    expect(err.line).toBe(1201);
  });

  it("rejects type overrides that do not hold, naming the place, and an empty or header-only file", async () => {
    const typed = (await parallel(utf8("a,b\n1,2\n1,x\n"), { types: { b: "integer" }, rowsPerBatch: 1 }).catch((e: unknown) => e)) as CsvError;
    expect(typed).toBeInstanceOf(CsvError);
    expect(typed.details).toMatchObject({ line: 3, column: 2, columnName: "b" });
    await expect(parallel(utf8("a,b\n"))).rejects.toThrow(/header but no data rows/);
    await expect(parallel(utf8(""))).rejects.toThrow(/empty/);
    await expect(parallel(utf8("a,a\n1,2\n"))).rejects.toThrow(/duplicate column name/);
  });

  it("hands out a batch as soon as it is complete, before the upload ends (a slow client)", async () => {
    const job = threads.open({ rowsPerBatch: 100 });
    try {
      await job.push(numericCsv(250)); // two complete batches, no end yet
      const first = await job.nextBatch();
      const second = await job.nextBatch();
      expect([first?.rows, second?.rows].sort()).toEqual([100, 100]);
      job.end();
      expect((await job.nextBatch())?.rows).toBe(50);
      expect(await job.nextBatch()).toBeUndefined();
      expect((await job.finish()).rows).toBe(250);
    } finally {
      job.abort();
    }
  });

  it("abandons an upload midway: pending calls reject, and the next upload is unaffected", async () => {
    const job: ParallelIngest = threads.open({ rowsPerBatch: 100 });
    await job.push(numericCsv(1000).subarray(0, 5000));
    const waiting = job.finish();
    job.abort();
    await expect(waiting).rejects.toThrow(/abandoned/);
    await expect(job.nextBatch()).rejects.toThrow(/abandoned/);
    const after = await parallel(numericCsv(300), { rowsPerBatch: 100 });
    expect(after.result.rows).toBe(300);
    expect(after.batches.map((b) => b.firstRow)).toEqual([0, 100, 200]);
  });

  it("runs several uploads at once on one pool, each giving what it gives alone", async () => {
    const files = [numericCsv(3000, { promoteAt: 2600 }), numericCsv(2200, { eol: "\r\n" }), fixture("wine.csv"), numericCsv(1500)];
    const results = await Promise.all(files.map((bytes, i) => parallel(bytes, { rowsPerBatch: 250 + 50 * i }, 997 + i)));
    results.forEach((got, i) => expectSameAsSequential(got, files[i]!, { rowsPerBatch: 250 + 50 * i }));
  });

  it("fails only the upload whose worker dies, with a clear error, and the pool goes on", async () => {
    const job = threads.open({ rowsPerBatch: 1000 });
    const bytes = numericCsv(5000);
    await job.push(bytes.subarray(0, 5000)); // about 250 rows: part 0 is open, its worker parsing
    const part = (job as unknown as { parts: { worker: { terminate(): Promise<number> } }[] }).parts[0]!;
    await part.worker.terminate();
    const err = await (async () => {
      for (let at = 5000; at < bytes.length; at += 4096) await job.push(bytes.subarray(at, at + 4096));
      job.end();
      return job.finish();
    })().catch((e: unknown) => e);
    job.abort();
    expect(String(err)).toMatch(/ingest worker exited/);
    const after = await parallel(numericCsv(2000), { rowsPerBatch: 500 });
    expect(after.result.rows).toBe(2000);
  });

  it("drops a worker that dies while idle, so the next upload never waits on it", async () => {
    const pool = new IngestThreads(2);
    try {
      const job = pool.open({ rowsPerBatch: 100 });
      await job.push(numericCsv(300));
      job.end();
      while ((await job.nextBatch()) !== undefined);
      await job.finish();
      const idle = (pool as unknown as { idle: { terminate(): Promise<number> }[] }).idle;
      expect(idle.length).toBeGreaterThan(0);
      await Promise.all(idle.slice().map((w) => w.terminate()));
      await new Promise((resolve) => setTimeout(resolve, 50)); // the exit events
      expect(idle).toHaveLength(0);
      const again = pool.open({ rowsPerBatch: 100 });
      await again.push(numericCsv(300));
      again.end();
      let rows = 0;
      for (let b = await again.nextBatch(); b !== undefined; b = await again.nextBatch()) rows += b.rows;
      expect(rows).toBe(300);
      expect((await again.finish()).rows).toBe(300);
    } finally {
      await pool.close();
    }
  });

  it("keeps at most as many parts in flight as it has workers", async () => {
    const job = threads.open({ rowsPerBatch: 1000 });
    const inFlight = () => (job as unknown as { parts: { done: boolean }[] }).parts.filter((p) => !p.done).length;
    let most = 0;
    try {
      const bytes = numericCsv(20_000);
      for (let at = 0; at < bytes.length; at += 4096) {
        await job.push(bytes.subarray(at, at + 4096));
        most = Math.max(most, inFlight());
      }
      job.end();
      let rows = 0;
      for (let b = await job.nextBatch(); b !== undefined; b = await job.nextBatch()) rows += b.rows;
      expect(rows).toBe(20_000);
      expect((await job.finish()).batches).toBe(20);
    } finally {
      job.abort();
    }
    // The part being filled plus the ones still parsing: never more than workers + 1.
    expect(most).toBeGreaterThanOrEqual(2);
    expect(most).toBeLessThanOrEqual(threads.workers + 1);
  });
});
