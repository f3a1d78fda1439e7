// Shared by the datasets end-to-end tests: REST calls, what a CSV cell should become once typed
// (computed here from the file with the repo's own parser, independently of the server), Arrow
// decoding, the manifest in etcd, and what is on the stores.
import { tableFromIPC, Type } from "apache-arrow";
import type { Etcd3 } from "etcd3";
import { expect } from "vitest";
import { waitFor } from "@dml/testkit";
import { isMissing, parseCsv } from "@dml/data";
import type { StoreClients } from "@dml/runtime";
import type { ColumnStatsManifest } from "@dml/catalog";

export type Cell = number | boolean | string | null;
export type Row = Record<string, Cell>;
export type ColumnType = "integer" | "number" | "boolean" | "category" | "string";

export interface ColumnView {
  name: string;
  type: ColumnType;
  missing: number;
  stats: ColumnStatsManifest;
}

export interface DatasetView {
  id: string;
  name: string;
  rows: number;
  columns: ColumnView[];
  batches: number;
  bytes: number;
  createdAt: string;
  replicas: number;
  warnings: string[];
}

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export interface BatchManifest {
  index: number;
  rows: number;
  bytes: number;
  checksum: { algorithm: "crc32c" | "sha256"; value: string };
  replicas: string[];
  objectKey: string;
}

export interface DatasetManifest {
  id: string;
  name: string;
  rows: number;
  batches: BatchManifest[];
  replication: number;
}

// The etcd layout is stated here rather than imported from @dml/catalog: it is part of the contract.
export const DATASETS_PREFIX = "/dml/datasets/";
export const UPLOADS_PREFIX = "/dml/uploads/";

export interface JsonResponse<T> {
  status: number;
  type: string;
  body: T;
}

export async function requestJson<T = unknown>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: body as T };
}

/** POST /v1/datasets with a raw text/csv body; `query` carries name and options. */
export function postCsv<T = DatasetView>(base: string, body: string | Uint8Array, query: Record<string, string>): Promise<JsonResponse<T>> {
  return requestJson<T>(`${base}/v1/datasets?${new URLSearchParams(query)}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: typeof body === "string" ? body : Buffer.from(body),
  });
}

/** Uploads a CSV that must be accepted; returns the dataset. */
export async function uploadCsv(base: string, body: string | Uint8Array, query: Record<string, string>): Promise<DatasetView> {
  const res = await postCsv<DatasetView | ErrorBody>(base, body, query);
  if (res.status !== 201) throw new Error(`upload of ${query["name"]} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as DatasetView;
}

export async function getDataset(base: string, id: string): Promise<DatasetView> {
  const res = await requestJson<DatasetView>(`${base}/v1/datasets/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function getRows(base: string, id: string, offset: number, limit: number): Promise<{ rows: Row[]; total: number; columns: string[] }> {
  const res = await requestJson<{ rows: Row[]; total: number; columns: string[] }>(`${base}/v1/datasets/${id}/rows?offset=${offset}&limit=${limit}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function download(base: string, id: string, format: "csv" | "arrow" = "csv"): Promise<Buffer> {
  const res = await fetch(`${base}/v1/datasets/${id}/download${format === "arrow" ? "?format=arrow" : ""}`, { signal: AbortSignal.timeout(60_000) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain(format === "csv" ? "text/csv" : "application/vnd.apache.arrow.stream");
  return Buffer.from(await res.arrayBuffer());
}

/** Every row of a dataset through GET /rows, in pages of `page`. */
export async function allRows(base: string, id: string, page = 10_000): Promise<Row[]> {
  const out: Row[] = [];
  for (let offset = 0; ; offset += page) {
    const res = await getRows(base, id, offset, page);
    out.push(...res.rows);
    if (out.length >= res.total) return out;
  }
}

/**
 * What a CSV cell becomes in a column of `type`, by the contract: missing markers (empty, NA,
 * NaN, null, ...) are null whatever the type, numbers are numbers, booleans true/false in any case,
 * text is kept exactly as written (spaces included).
 */
export function cellValue(text: string, type: ColumnType): Cell {
  if (isMissing(text)) return null;
  switch (type) {
    case "integer":
    case "number": {
      const v = Number(text.trim());
      if (Number.isNaN(v)) throw new Error(`test bug: ${JSON.stringify(text)} is not a number`);
      return v;
    }
    case "boolean": {
      const t = text.trim().toLowerCase();
      if (t !== "true" && t !== "false") throw new Error(`test bug: ${JSON.stringify(text)} is not a boolean`);
      return t === "true";
    }
    default:
      return text;
  }
}

/** A CSV's rows typed as the dataset's columns say, parsed with @dml/data's own RFC 4180 parser. */
export function typedRowsOf(csv: string | Uint8Array, columns: readonly ColumnView[], delimiter?: string): Row[] {
  const { header, records } = parseCsv(csv, delimiter ? { delimiter } : {});
  expect(header).toEqual(columns.map((c) => c.name));
  return records.map(({ fields }) => {
    const row: Row = {};
    columns.forEach((c, j) => (row[c.name] = cellValue(fields[j]!, c.type)));
    return row;
  });
}

/** An Arrow IPC stream's rows (Int64 as numbers) and its physical column types. */
export function arrowRowsOf(ipc: Uint8Array): { rows: Row[]; types: Record<string, string> } {
  const table = tableFromIPC(ipc);
  const names = table.schema.fields.map((f) => f.name);
  const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, Type[f.typeId] ?? String(f.typeId)]));
  const columns = names.map((n) => table.getChild(n)!);
  const rows: Row[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Row = {};
    names.forEach((n, j) => {
      const v = columns[j]!.get(i) as unknown;
      row[n] = typeof v === "bigint" ? Number(v) : (v as Cell);
    });
    rows.push(row);
  }
  return { rows, types };
}

/** The Arrow type each logical column type is stored as. */
export const ARROW_TYPE: Record<ColumnType, string> = {
  integer: "Int",
  number: "Float",
  boolean: "Bool",
  category: "Utf8",
  string: "Utf8",
};

export async function readManifest(etcd: Etcd3, id: string): Promise<DatasetManifest | undefined> {
  const raw = await etcd.get(`${DATASETS_PREFIX}${id}`).string();
  return raw ? (JSON.parse(raw) as DatasetManifest) : undefined;
}

/** Keys of every object under `prefix` on each store, by store id. */
export async function objectsOnStores(stores: StoreClients, nodes: ReadonlyArray<{ id: string; address: string }>, prefix = "datasets/"): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const node of nodes) {
    const keys: string[] = [];
    for await (const o of stores.listObjects(node.address, prefix, { signal: AbortSignal.timeout(10_000) })) keys.push(o.key);
    out.set(node.id, keys);
  }
  return out;
}

/**
 * The cluster holds exactly the datasets in `known`: no other manifest, no upload in progress, and
 * no object on any store outside those datasets' batches. Undefined when all is clean, else a
 * description of what is left (for waitFor's polling and message).
 */
export async function leftovers(
  etcd: Etcd3,
  stores: StoreClients,
  nodes: ReadonlyArray<{ id: string; address: string }>,
  known: ReadonlySet<string>,
): Promise<string | undefined> {
  const manifests = (await etcd.getAll().prefix(DATASETS_PREFIX).keys()).map((k) => k.slice(DATASETS_PREFIX.length)).filter((id) => !known.has(id));
  const uploads = (await etcd.getAll().prefix(UPLOADS_PREFIX).keys()).map((k) => k.slice(UPLOADS_PREFIX.length));
  const objects: string[] = [];
  for (const [store, keys] of await objectsOnStores(stores, nodes)) {
    for (const key of keys) if (!known.has(key.split("/")[1] ?? "")) objects.push(`${store}:${key}`);
  }
  if (manifests.length === 0 && uploads.length === 0 && objects.length === 0) return undefined;
  return JSON.stringify({ manifests, uploads, objects: objects.slice(0, 10), objectCount: objects.length });
}

/** Polls `problems` until it returns undefined; on timeout, fails with its last answer. */
export async function waitUntilNone(
  problems: () => Promise<string | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; message: string },
): Promise<void> {
  let last: string | undefined;
  await waitFor(async () => (last = await problems()) === undefined, opts).catch((err: Error) => {
    throw new Error(`${err.message}; still: ${last}`);
  });
}

/** A small deterministic PRNG (mulberry32), so generated files are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
