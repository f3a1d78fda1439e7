// Streams a model document from the first live replica that answers, verified against the
// checksum in the registry. Failover to the next replica is only possible before the first byte
// goes out, so the reader keeps one chunk in hand: a chunk is released only once the next one (or
// the verified end) has arrived. A document up to one store chunk (1 MiB) is thus verified whole
// before anything is sent, and a copy that fails its checksum at the end never has its last chunk
// sent: the client sees a short (failed) download, never wrong bytes.
import { ClientError, Status } from "nice-grpc";
import { DmlError, type Logger, type NodeDirectory, type ObjectReader, type StoreClients } from "@dml/runtime";
import { toProtoChecksum, type ModelRecord } from "@dml/catalog";

export interface DownloadDeps {
  directory: NodeDirectory;
  stores: StoreClients;
  log: Logger;
}

function isBadCopy(err: unknown): boolean {
  if (err instanceof DmlError) return err.code === "DATA_LOSS" || err.code === "NOT_FOUND";
  return err instanceof ClientError && (err.code === Status.DATA_LOSS || err.code === Status.NOT_FOUND);
}

/** Opens the document on one replica and reads ahead until a chunk can be released safely. */
async function primed(reader: ObjectReader): Promise<AsyncIterable<Uint8Array>> {
  const it = reader.chunks[Symbol.asyncIterator]();
  let held = await it.next();
  let after = held.done ? held : await it.next();
  return (async function* () {
    try {
      while (!held.done) {
        yield held.value;
        held = after;
        if (!held.done) after = await it.next();
      }
    } finally {
      await reader.close();
    }
  })();
}

export async function openModelBytes(record: ModelRecord, deps: DownloadDeps): Promise<AsyncIterable<Uint8Array>> {
  const { directory, stores, log } = deps;
  const { object } = record;
  const expected = toProtoChecksum(object.checksum);
  let badCopies = 0;
  let lastError: unknown;
  for (const storeId of object.replicas) {
    const node = directory.get(storeId);
    if (!node || node.state !== "up") continue;
    let reader: ObjectReader | undefined;
    try {
      reader = await stores.openObject(node.address, object.key, { expected });
      return await primed(reader);
    } catch (err) {
      await reader?.close().catch(() => undefined);
      lastError = err;
      if (isBadCopy(err)) badCopies++;
      log.warn({ modelId: record.id, store: storeId, err: (err as Error).message }, "model replica read failed; trying another");
    }
  }
  if (badCopies > 0) throw new DmlError("DATA_LOSS", `every live replica of model ${record.id} is missing or corrupt`, { modelId: record.id });
  throw new DmlError("UNAVAILABLE", `no replica of model ${record.id} can be reached right now`, {
    modelId: record.id,
    cause: lastError instanceof Error ? lastError.message : undefined,
  });
}
