// Helpers for this package's tests (not exported from index.ts).
import { conformBatch } from "./conform.js";
import { CsvIngest, type CsvIngestOptions, type IngestBatch, type IngestResult } from "./ingest.js";
import { batchToRows, type Row } from "./rows.js";

export interface Ingested {
  result: IngestResult;
  /** Every batch, in order, as emitted (before conforming). */
  batches: IngestBatch[];
  /** Every batch's IPC after conforming the stale ones, as the gateway stores them. */
  stored: Uint8Array[];
}

/** Ingests a CSV given as text or bytes, pushed in chunks of `chunkSize` bytes. */
export function ingest(input: string | Uint8Array, options: CsvIngestOptions = {}, chunkSize = 1 << 16): Ingested {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const job = new CsvIngest(options);
  const batches: IngestBatch[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) batches.push(...job.push(bytes.subarray(at, at + chunkSize)));
  const result = job.finish();
  batches.push(...result.lastBatches);
  const stale = new Set(result.staleBatches);
  const stored = batches.map((b) => (stale.has(b.index) ? conformBatch(b.ipc, result.schema) : b.ipc));
  return { result, batches, stored };
}

/** All rows of the stored batches, as plain objects. */
export function rowsOf(stored: Uint8Array[]): Row[] {
  return stored.flatMap((ipc) => batchToRows(ipc).map((r) => ({ ...r })));
}
