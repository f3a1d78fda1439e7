// Reads a dataset batch from its replicas: live replicas in the manifest's order, each copy
// verified against the manifest's checksum. A replica that answers with a missing or corrupt
// copy is skipped, and, once a good copy is found, repaired from it in the background (the store
// has quarantined the bad file, so the copy lands cleanly). Decoded bytes are cached (objects are
// immutable, so a cache entry never goes stale).
import { ClientError, Status } from "nice-grpc";
import { DmlError, type Logger, type NodeDirectory, type StoreClients } from "@dml/runtime";
import { toProtoChecksum, type BatchManifest } from "./datasets.js";
import { storeV1 } from "@dml/proto";

/** A tiny LRU bounded by total bytes. */
class ByteLru {
  private readonly entries = new Map<string, Uint8Array>();
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Uint8Array | undefined {
    const v = this.entries.get(key);
    if (v) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, value: Uint8Array): void {
    if (value.byteLength > this.maxBytes) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    this.size += value.byteLength;
    for (const [k, v] of this.entries) {
      if (this.size <= this.maxBytes) break;
      this.entries.delete(k);
      this.size -= v.byteLength;
    }
  }
}

function isBadCopy(err: unknown): boolean {
  if (err instanceof DmlError) return err.code === "DATA_LOSS" || err.code === "NOT_FOUND";
  return err instanceof ClientError && (err.code === Status.DATA_LOSS || err.code === Status.NOT_FOUND);
}

export class BatchFetcher {
  private readonly cache: ByteLru;

  constructor(
    private readonly deps: { directory: NodeDirectory; stores: StoreClients; log: Logger },
    cacheBytes = 256 * 1024 * 1024,
  ) {
    this.cache = new ByteLru(cacheBytes);
  }

  async fetch(datasetId: string, batch: BatchManifest): Promise<Uint8Array> {
    const cacheKey = `${batch.objectKey}@${batch.checksum.value}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const { directory, stores, log } = this.deps;
    const expected = toProtoChecksum(batch.checksum);
    const bad: Array<{ id: string; address: string }> = [];
    let lastError: unknown;
    for (const id of batch.replicas) {
      const node = directory.get(id);
      if (!node || node.state !== "up") continue;
      try {
        const data = await stores.getObject(node.address, batch.objectKey, expected, { signal: AbortSignal.timeout(60_000) });
        this.cache.set(cacheKey, data);
        for (const b of bad) this.repairReplica(batch, b, node.address);
        return data;
      } catch (err) {
        lastError = err;
        if (isBadCopy(err)) bad.push({ id, address: node.address });
        log.warn({ datasetId, batch: batch.index, store: id, err: (err as Error).message }, "replica read failed; trying another");
      }
    }
    if (bad.length > 0) {
      throw new DmlError("DATA_LOSS", `every live replica of batch ${batch.index} of dataset ${datasetId} is missing or corrupt`, {
        datasetId,
        batch: batch.index,
      });
    }
    throw new DmlError("UNAVAILABLE", `no replica of batch ${batch.index} of dataset ${datasetId} can be reached right now`, {
      datasetId,
      batch: batch.index,
      cause: lastError instanceof Error ? lastError.message : undefined,
    });
  }

  /** Puts a good copy back on a store whose copy was missing or corrupt. */
  private repairReplica(batch: BatchManifest, target: { id: string; address: string }, sourceAddress: string): void {
    const { stores, log } = this.deps;
    stores
      .copyObjectFrom(target.address, {
        key: batch.objectKey,
        sourceAddress,
        size: batch.bytes,
        checksum: toProtoChecksum(batch.checksum),
        kind: storeV1.ObjectKind.OBJECT_KIND_BATCH,
      })
      .then(
        () => log.info({ key: batch.objectKey, store: target.id }, "replaced a bad replica"),
        (err: Error) => log.warn({ key: batch.objectKey, store: target.id, err: err.message }, "could not replace a bad replica"),
      );
  }
}
