// Reads a replicated store object (a dataset batch, a model document, a result batch) from its
// replicas: live replicas in the recorded order, each copy verified against the recorded checksum. A replica that answers with a missing or corrupt
// copy is skipped, and, once a good copy is found, repaired from it in the background (the store
// has quarantined the bad file, so the copy lands cleanly). Decoded bytes are cached (objects are
// immutable, so a cache entry never goes stale).
import { ClientError, Status } from "nice-grpc";
import { DmlError, type Logger, type NodeDirectory, type StoreClients } from "@dml/runtime";
import { toProtoChecksum, type BatchManifest, type ChecksumJson } from "./datasets.js";

/** Any replicated store object: a dataset batch, a model document, a prediction result batch. */
export interface ReplicatedObject {
  key: string;
  size: number;
  checksum: ChecksumJson;
  /** Store node ids holding a durable copy, in the order to try them. */
  replicas: string[];
  kind: storeV1.ObjectKind;
  /** For errors and logs, e.g. "batch 3 of dataset d-1" or "model m-1". */
  what: string;
}
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
    return this.fetchObject({
      key: batch.objectKey,
      size: batch.bytes,
      checksum: batch.checksum,
      replicas: batch.replicas,
      kind: storeV1.ObjectKind.OBJECT_KIND_BATCH,
      what: `batch ${batch.index} of dataset ${datasetId}`,
    });
  }

  /** Reads any replicated object, verified, failing over across its replicas and repairing bad copies. */
  async fetchObject(obj: ReplicatedObject): Promise<Uint8Array> {
    const cacheKey = `${obj.key}@${obj.checksum.value}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const { directory, stores, log } = this.deps;
    const expected = toProtoChecksum(obj.checksum);
    const bad: Array<{ id: string; address: string }> = [];
    let lastError: unknown;
    for (const id of obj.replicas) {
      const node = directory.get(id);
      if (!node || node.state !== "up") continue;
      try {
        const data = await stores.getObject(node.address, obj.key, expected, { signal: AbortSignal.timeout(60_000) });
        this.cache.set(cacheKey, data);
        for (const b of bad) this.repairReplica(obj, b, node.address);
        return data;
      } catch (err) {
        lastError = err;
        if (isBadCopy(err)) bad.push({ id, address: node.address });
        log.warn({ object: obj.what, store: id, err: (err as Error).message }, "replica read failed; trying another");
      }
    }
    if (bad.length > 0) {
      throw new DmlError("DATA_LOSS", `every live replica of ${obj.what} is missing or corrupt`, { key: obj.key });
    }
    throw new DmlError("UNAVAILABLE", `no replica of ${obj.what} can be reached right now`, {
      key: obj.key,
      cause: lastError instanceof Error ? lastError.message : undefined,
    });
  }

  /** Puts a good copy back on a store whose copy was missing or corrupt. */
  private repairReplica(obj: ReplicatedObject, target: { id: string; address: string }, sourceAddress: string): void {
    const { stores, log } = this.deps;
    stores
      .copyObjectFrom(target.address, { key: obj.key, sourceAddress, size: obj.size, checksum: toProtoChecksum(obj.checksum), kind: obj.kind })
      .then(
        () => log.info({ key: obj.key, store: target.id }, "replaced a bad replica"),
        (err: Error) => log.warn({ key: obj.key, store: target.id, err: err.message }, "could not replace a bad replica"),
      );
  }
}
