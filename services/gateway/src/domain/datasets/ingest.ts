// One upload, end to end: bytes -> ParallelIngest (CsvIngest in worker threads) -> Arrow batches
// -> R durable replicas each -> manifest in etcd. Memory stays bounded (a batch per worker being
// built, at most two being written).
// Nothing is visible until the manifest is written, and a failed upload deletes what it wrote;
// if this gateway dies mid-upload, its upload key's lease expires and the leader scheduler's
// orphan cleanup removes the files.
import { DataError, conformBatch, type IngestBatch, type IngestThreads, type ParallelIngest } from "@dml/data";
import { computeChecksum, DmlError, rankStores, type Logger, type NodeDirectory, type StoreClients } from "@dml/runtime";
import { fromProtoChecksum, uploadKey, type BatchManifest, type DatasetManifest, type DatasetRepository } from "@dml/catalog";
import { storeV1 } from "@dml/proto";
import type { Etcd3 } from "etcd3";
import type { UploadRequest } from "./types.js";
import type { BatchFetcher } from "@dml/catalog";
import { deleteBatchCopies } from "./batch-copies.js";

const MAX_WRITES_IN_FLIGHT = 2;
/** Generous for one batch (tens of MB) on a healthy store. */
const STORE_WRITE_TIMEOUT_MS = 30_000;

export interface IngestDeps {
  etcd: Etcd3;
  repo: DatasetRepository;
  directory: NodeDirectory;
  stores: StoreClients;
  fetcher: BatchFetcher;
  replication: number;
  leaseTtl: number;
  /** Worker threads that parse uploads. */
  ingestThreads: IngestThreads;
  log: Logger;
}

export function batchObjectKey(datasetId: string, index: number, generation = 0): string {
  const suffix = generation > 0 ? `.v${generation}` : "";
  return `datasets/${datasetId}/batch-${String(index).padStart(6, "0")}${suffix}.arrow`;
}

/** Bad CSV and bad options become INVALID_ARGUMENT with the line/column in details. */
function toDomainError(err: unknown): unknown {
  if (err instanceof DataError) return new DmlError("INVALID_ARGUMENT", err.message, err.details);
  return err;
}

export class Upload {
  private readonly written: BatchManifest[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly warnings = new Set<string>();
  /** The first batch write that failed: a write may fail while no one awaits it. */
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly deps: IngestDeps,
    private readonly datasetId: string,
  ) {}

  async run(req: UploadRequest): Promise<DatasetManifest> {
    const { etcd, repo, log } = this.deps;
    const lease = etcd.lease(this.deps.leaseTtl, { autoKeepAlive: true });
    let ingest: ParallelIngest | undefined;
    try {
      await lease.put(uploadKey(this.datasetId)).value(JSON.stringify({ name: req.name, startedAt: new Date().toISOString() }));
      // Parsing runs in worker threads, a batch's worth of rows per worker at once. This thread
      // feeds them the bytes and, in a second loop, writes each batch as soon as it is complete
      // (a slow client's batches too).
      ingest = this.deps.ingestThreads.open({ delimiter: req.delimiter, types: req.types, rowsPerBatch: req.rowsPerBatch });
      const threaded = ingest;
      // Whichever loop fails first has the cause; it abandons the ingest, which stops the other.
      let cause: { error: unknown } | undefined;
      const writing = this.writeBatches(threaded).catch((error: unknown) => {
        cause ??= { error };
        threaded.abort();
      });
      let bytesIn = 0;
      try {
        for await (const chunk of req.chunks) {
          bytesIn += chunk.byteLength;
          await ingest.push(chunk);
        }
        ingest.end();
      } catch (error) {
        cause ??= { error };
        ingest.abort();
      }
      await writing;
      if (cause !== undefined) throw cause.error;
      // The last batch went to the stores while the worker counted its rows' statistics.
      const result = await ingest.finish();
      await Promise.all(this.inFlight);
      this.throwIfAWriteFailed();
      for (const index of result.staleBatches) await this.rewrite(index, (ipc) => conformBatch(ipc, result.schema));
      const manifest: DatasetManifest = {
        id: this.datasetId,
        name: req.name,
        rows: result.rows,
        columns: result.columns,
        batches: [...this.written].sort((a, b) => a.index - b.index),
        bytes: this.written.reduce((sum, b) => sum + b.bytes, 0),
        createdAt: new Date().toISOString(),
        replication: this.deps.replication,
        warnings: [...this.warnings],
      };
      await repo.create(manifest);
      log.info({ datasetId: this.datasetId, rows: manifest.rows, batches: manifest.batches.length, bytesIn }, "dataset uploaded");
      return manifest;
    } catch (err) {
      ingest?.abort();
      await Promise.allSettled(this.inFlight);
      await this.deleteWritten();
      throw toDomainError(err);
    } finally {
      await lease.revoke().catch(() => lease.release());
    }
  }

  /** Schedules each batch the worker completes, until the last. */
  private async writeBatches(ingest: ParallelIngest): Promise<void> {
    for (let batch = await ingest.nextBatch(); batch !== undefined; batch = await ingest.nextBatch()) await this.schedule(batch);
  }

  /** Starts writing a batch, waiting first while too many writes are in flight (backpressure). */
  private async schedule(batch: IngestBatch): Promise<void> {
    this.throwIfAWriteFailed();
    while (this.inFlight.size >= MAX_WRITES_IN_FLIGHT) await Promise.race(this.inFlight);
    const write = this.writeBatch(batch.index, batch.rows, batch.ipc, batchObjectKey(this.datasetId, batch.index)).then(
      (manifest) => {
        this.written.push(manifest);
      },
    );
    const tracked = write.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    // Surface a failure at the next schedule/await instead of as an unhandled rejection. A write
    // that fails while fewer than MAX_WRITES_IN_FLIGHT are pending leaves the set before anyone
    // awaits it, so it is also recorded.
    tracked.catch((error: unknown) => (this.failure ??= { error }));
  }

  private throwIfAWriteFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Writes one batch to its rendezvous-ranked stores until R copies are durable. */
  private async writeBatch(index: number, rows: number, ipc: Uint8Array, key: string): Promise<BatchManifest> {
    const { directory, stores, replication } = this.deps;
    const live = directory.live("store");
    if (live.length === 0) throw new DmlError("UNAVAILABLE", "no store node is live: cannot write the dataset");
    const target = Math.min(replication, live.length);
    if (target < replication) {
      this.warnings.add(`only ${live.length} live store(s) at upload: batches have ${target} replica(s) instead of ${replication}`);
    }
    const checksum = computeChecksum(ipc);
    const replicas: string[] = [];
    const candidates = rankStores(key, live);
    let next = 0;
    let lastError: unknown;
    while (replicas.length < target && next < candidates.length) {
      const wave = candidates.slice(next, next + (target - replicas.length));
      next += wave.length;
      const results = await Promise.allSettled(
        // A store that hangs (paused, partitioned) must not stall the upload: past the deadline
        // its write fails and the next store in rendezvous order takes the replica.
        wave.map((s) =>
          stores.putObject(
            s.address,
            { key, kind: storeV1.ObjectKind.OBJECT_KIND_BATCH, data: ipc, checksum },
            { signal: AbortSignal.timeout(STORE_WRITE_TIMEOUT_MS) },
          ),
        ),
      );
      results.forEach((r, i) => {
        if (r.status === "fulfilled") replicas.push(wave[i]!.id);
        else lastError = r.reason;
      });
    }
    const manifest: BatchManifest = { index, rows, bytes: ipc.byteLength, checksum: fromProtoChecksum(checksum), replicas, objectKey: key };
    if (replicas.length < target) {
      this.written.push(manifest); // so the cleanup deletes the copies that did land
      throw new DmlError("UNAVAILABLE", `could not write batch ${index} to ${target} stores: ${(lastError as Error)?.message ?? "no store left"}`);
    }
    return manifest;
  }

  /** Replaces a written batch by a transformed copy under a new key, deleting the old copies. */
  private async rewrite(index: number, transform: (ipc: Uint8Array) => Uint8Array): Promise<void> {
    const pos = this.written.findIndex((b) => b.index === index);
    const old = this.written[pos]!;
    const ipc = transform(await this.deps.fetcher.fetch(this.datasetId, old));
    const fresh = await this.writeBatch(index, old.rows, ipc, batchObjectKey(this.datasetId, index, 1));
    this.written[pos] = fresh;
    await deleteBatchCopies([old], this.deps);
  }

  private async deleteWritten(): Promise<void> {
    await deleteBatchCopies(this.written, this.deps);
  }
}
