// Parse benchmark (not a test): a generated 100k x 20 numeric CSV (~40 MB, seeded, in memory),
// fed in 64 KiB chunks like an upload. Prints MB/s (10^6 bytes/s) for parse only and for the whole
// ingest (parse + inference + stats + Arrow IPC). Run: npm run bench:parse
import { CsvIngest } from "../ingest.js";
import { CsvParser } from "../csv-parser.js";

const ROWS = 100_000;
const COLUMNS = 20;
const CHUNK = 64 * 1024;
const REPEATS = 5;

/** mulberry32: a small seeded generator, so every run parses the same bytes. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Like an ML export (sklearn, pandas): 16 columns of full-precision doubles (16-17 significant
 * digits, the costly kind to parse), 4 of integers.
 */
function makeCsv(): Uint8Array {
  const rand = generator(42);
  const lines: string[] = [Array.from({ length: COLUMNS }, (_, j) => `x${j}`).join(",")];
  for (let r = 0; r < ROWS; r++) {
    const cells: string[] = [];
    for (let j = 0; j < COLUMNS; j++) {
      const u = rand();
      if (j % 5 === 0) cells.push(String(Math.floor(u * 2_000_000_000) - 1_000_000_000));
      else cells.push(String((u - 0.5) * 10 ** (j % 4)));
    }
    lines.push(cells.join(","));
  }
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function parseOnly(bytes: Uint8Array): void {
  const parser = new CsvParser();
  let rows = 0;
  for (let at = 0; at < bytes.length; at += CHUNK) rows += parser.push(bytes.subarray(at, at + CHUNK)).length;
  rows += parser.end().length;
  if (rows !== ROWS) throw new Error(`parsed ${rows} rows, expected ${ROWS}`);
}

function ingest(bytes: Uint8Array): number {
  const ingest = new CsvIngest();
  let ipcBytes = 0;
  for (let at = 0; at < bytes.length; at += CHUNK) for (const b of ingest.push(bytes.subarray(at, at + CHUNK))) ipcBytes += b.ipc.length;
  const result = ingest.finish();
  for (const b of result.lastBatches) ipcBytes += b.ipc.length;
  if (result.rows !== ROWS) throw new Error(`ingested ${result.rows} rows, expected ${ROWS}`);
  return ipcBytes;
}

function report(label: string, mb: number, seconds: number[]): void {
  const best = Math.min(...seconds);
  const median = [...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)]!;
  console.log(`${label.padEnd(34)} best ${(mb / best).toFixed(0).padStart(4)} MB/s (${(best * 1000).toFixed(0)} ms)   median ${(mb / median).toFixed(0).padStart(4)} MB/s`);
}

const bytes = makeCsv();
const mb = bytes.length / 1e6;
console.log(`CSV: ${ROWS} rows x ${COLUMNS} numeric columns, ${mb.toFixed(1)} MB, ${CHUNK / 1024} KiB chunks, ${REPEATS} runs each (first run warms up the JIT)`);
parseOnly(bytes);
report("parse", mb, Array.from({ length: REPEATS }, () => time(() => parseOnly(bytes))));
let arrowBytes = 0;
arrowBytes = ingest(bytes);
report("parse + infer + stats + Arrow IPC", mb, Array.from({ length: REPEATS }, () => time(() => ingest(bytes))));
console.log(`Arrow IPC out: ${(arrowBytes / 1e6).toFixed(1)} MB`);
