// The datasets domain behind both edges (REST and gRPC): upload, read, download, delete.
// Metadata from etcd (DatasetRepository), bytes from the stores (BatchFetcher).
import { batchToRows, CsvWriter, IngestThreads } from "@dml/data";
import { DmlError, type Logger, type NodeDirectory, type StoreClients } from "@dml/runtime";
import type { BatchManifest, DatasetManifest, DatasetRepository } from "@dml/catalog";
import type { Etcd3 } from "etcd3";
import { concatArrowStreams } from "@dml/data";
import { BatchFetcher } from "@dml/catalog";
import { checkId, newDatasetId } from "./ids.js";
import { Upload } from "./ingest.js";
import { deleteBatchCopies } from "./batch-copies.js";
import type { DatasetView, RowsPage, UploadRequest } from "./types.js";

export interface DatasetsDeps {
  etcd: Etcd3;
  repo: DatasetRepository;
  directory: NodeDirectory;
  stores: StoreClients;
  replication: number;
  leaseTtl: number;
  /** Worker threads that parse uploads. */
  ingestWorkers: number;
  log: Logger;
}

export class Datasets {
  readonly fetcher: BatchFetcher;
  /** Uploads are parsed in these worker threads. */
  private readonly ingestThreads: IngestThreads;

  constructor(private readonly deps: DatasetsDeps) {
    this.fetcher = new BatchFetcher({ directory: deps.directory, stores: deps.stores, log: deps.log });
    this.ingestThreads = new IngestThreads(deps.ingestWorkers);
  }

  /** Stops the idle ingest workers (uploads still running finish first). */
  async close(): Promise<void> {
    await this.ingestThreads.close();
  }

  async upload(req: UploadRequest): Promise<DatasetView> {
    return this.view(await this.uploadManifest(req));
  }

  /** Uploads and returns the recorded manifest (the gRPC edge shows batches too). */
  async uploadManifest(req: UploadRequest): Promise<DatasetManifest> {
    return new Upload({ ...this.deps, fetcher: this.fetcher, ingestThreads: this.ingestThreads }, newDatasetId()).run(req);
  }

  async get(id: string): Promise<DatasetView> {
    return this.view(await this.manifest(id));
  }

  async list(): Promise<DatasetView[]> {
    return (await this.listManifests()).map((m) => this.view(m));
  }

  /** Every manifest, newest first, in one etcd read. */
  async listManifests(): Promise<DatasetManifest[]> {
    return this.deps.repo.list();
  }

  /** The manifest of a dataset that must exist (INVALID_ARGUMENT / NOT_FOUND otherwise). */
  async manifest(id: string): Promise<DatasetManifest> {
    return this.deps.repo.require(checkId(id, "datasetId"));
  }

  async rows(id: string, offset: number, limit: number): Promise<RowsPage> {
    const m = await this.manifest(id);
    const columns = m.columns.map((c) => c.name);
    const rows: RowsPage["rows"] = [];
    let first = 0;
    for (const batch of m.batches) {
      const end = first + batch.rows;
      if (end > offset && first < offset + limit && rows.length < limit) {
        const local = Math.max(offset - first, 0);
        const take = Math.min(batch.rows - local, limit - rows.length);
        rows.push(...batchToRows(await this.fetcher.fetch(m.id, batch), { offset: local, limit: take }));
      }
      first = end;
    }
    return { rows, total: m.rows, columns };
  }

  /** Checks the dataset exists (so a 404 comes before any byte), then streams it. */
  async download(id: string, format: "csv" | "arrow"): Promise<{ name: string; chunks: AsyncIterable<Uint8Array> }> {
    const m = await this.manifest(id);
    return { name: m.name, chunks: format === "csv" ? this.csvChunks(m) : concatArrowStreams(this.batchBytes(m)) };
  }

  /** Each requested batch's stored bytes (standalone Arrow IPC streams), verified, in order. */
  async *batchBytes(m: DatasetManifest, indexes?: readonly number[]): AsyncIterable<Uint8Array> {
    for (const batch of this.selectBatches(m, indexes)) yield await this.fetcher.fetch(m.id, batch);
  }

  selectBatches(m: DatasetManifest, indexes?: readonly number[]): BatchManifest[] {
    if (!indexes || indexes.length === 0) return m.batches;
    return indexes.map((i) => {
      const batch = m.batches[i];
      if (!batch) {
        throw new DmlError("INVALID_ARGUMENT", `batch index ${i} is out of range: dataset ${m.id} has ${m.batches.length} batches`, {
          field: "batchIndexes",
        });
      }
      return batch;
    });
  }

  private async *csvChunks(m: DatasetManifest): AsyncIterable<Uint8Array> {
    const writer = new CsvWriter(m.columns.map((c) => c.name));
    yield Buffer.from(writer.header());
    for await (const ipc of this.batchBytes(m)) yield Buffer.from(writer.batch(ipc));
  }

  /** Removes the manifest first (the dataset is gone at once), then the files, best effort. */
  async delete(id: string): Promise<void> {
    const m = await this.deps.repo.delete(checkId(id, "datasetId"));
    const failed = await deleteBatchCopies(m.batches, this.deps);
    if (failed > 0) this.deps.log.warn({ datasetId: id, failed }, "some batch files were not deleted; orphan cleanup will remove them");
  }

  /** The REST shape; `replicas` counts live holders of the least-replicated batch. */
  view(m: DatasetManifest): DatasetView {
    const { directory } = this.deps;
    const liveCount = (b: BatchManifest) => b.replicas.filter((id) => directory.get(id)?.state === "up").length;
    return {
      id: m.id,
      name: m.name,
      rows: m.rows,
      columns: m.columns,
      batches: m.batches.length,
      bytes: m.bytes,
      createdAt: m.createdAt,
      replicas: m.batches.length === 0 ? 0 : Math.min(...m.batches.map(liveCount)),
      warnings: m.warnings,
    };
  }
}
