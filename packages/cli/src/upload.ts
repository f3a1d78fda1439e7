// Streams a CSV file to the gateway (POST /v1/datasets) without reading it into memory.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { call, type GatewayTarget } from "./gateway-client.js";

export interface UploadedDataset {
  id: string;
  name: string;
  rows: number;
  columns: Array<{ name: string; type: string; missing: number; stats: Record<string, unknown> }>;
  batches: number;
  bytes: number;
  createdAt: string;
  replicas: number;
  warnings: string[];
}

export interface UploadOptions {
  name: string;
  types?: string;
  delimiter?: string;
  rowsPerBatch?: string;
  /** Called with the bytes sent so far. */
  onProgress?: (sent: number) => void;
}

export async function uploadFile(target: GatewayTarget, file: string, opts: UploadOptions): Promise<UploadedDataset> {
  const query = new URLSearchParams({ name: opts.name });
  if (opts.types !== undefined) query.set("types", opts.types);
  if (opts.delimiter !== undefined) query.set("delimiter", opts.delimiter);
  if (opts.rowsPerBatch !== undefined) query.set("rowsPerBatch", opts.rowsPerBatch);
  let sent = 0;
  async function* body(): AsyncIterable<Uint8Array> {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      sent += (chunk as Buffer).byteLength;
      opts.onProgress?.(sent);
      yield chunk as Buffer;
    }
  }
  const res = await call(target, `/v1/datasets?${query}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: Readable.toWeb(Readable.from(body())) as unknown as RequestInit["body"],
  });
  return (await res.json()) as UploadedDataset;
}
