// dml.store.v1.StoreService: checks each request, delegates to the ObjectStore (the disk) or to a
// peer store (CopyObjectFrom), and maps errors. Domain errors (DmlError) become gRPC statuses in
// the runtime's one table; a peer's status is passed on with the peer named.
import { ClientError, ServerError, Status } from "nice-grpc";
import type { storeV1 } from "@dml/proto";
import { DmlError, parseHostPort, STORE_CHUNK_BYTES, type Logger, type StoreClients } from "@dml/runtime";
import type { ObjectStore } from "../domain/object-store.js";
import { toObjectInfo } from "./object-info.js";
import { decodePageToken, encodePageToken } from "./page-token.js";

export interface StoreServiceDeps {
  objects: ObjectStore;
  /** Clients for pulling from peer stores (CopyObjectFrom). */
  peers: StoreClients;
  log: Logger;
}

const DEFAULT_PAGE_SIZE = 1000;
const MAX_PAGE_SIZE = 10_000;

/** The PutObject stream after its header: chunks only, each at most 1 MiB. */
async function* putChunks(rest: AsyncIterator<storeV1.PutObjectRequest>): AsyncIterable<Uint8Array> {
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    const part = next.value.part;
    if (part?.$case !== "chunk") {
      throw new DmlError("INVALID_ARGUMENT", part ? "only the first PutObject message may be a header" : "empty PutObject message");
    }
    if (part.chunk.length > STORE_CHUNK_BYTES) {
      throw new DmlError("INVALID_ARGUMENT", `PutObject chunks are at most ${STORE_CHUNK_BYTES} bytes, got ${part.chunk.length}`);
    }
    yield part.chunk;
  }
}

function pageSizeOf(requested: number): number {
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 0 || requested > MAX_PAGE_SIZE) {
    throw new DmlError("INVALID_ARGUMENT", `page_size must be between 0 (default ${DEFAULT_PAGE_SIZE}) and ${MAX_PAGE_SIZE}, got ${requested}`);
  }
  return requested;
}

function sourceAddressOf(raw: string): string {
  try {
    parseHostPort(raw);
  } catch {
    throw new DmlError("INVALID_ARGUMENT", `source_address must be host:port, got ${JSON.stringify(raw.slice(0, 100))}`);
  }
  return raw.trim();
}

export function createStoreService({ objects, peers, log }: StoreServiceDeps): storeV1.StoreServiceImplementation {
  return {
    async putObject(requests) {
      const stream = requests[Symbol.asyncIterator]();
      const first = await stream.next();
      const part = first.done ? undefined : first.value.part;
      if (part?.$case !== "header") throw new DmlError("INVALID_ARGUMENT", "the first PutObject message must be a header");
      const result = await objects.put(part.header, putChunks(stream));
      return { object: toObjectInfo(result.meta), alreadyExisted: result.alreadyExisted };
    },

    async *getObject(request) {
      for await (const part of objects.read(request.key, request.expectedChecksum)) {
        yield part.info ? { part: { $case: "info", info: toObjectInfo(part.info) } } : { part: { $case: "chunk", chunk: part.chunk } };
      }
    },

    async headObject(request) {
      const head = await objects.head(request.key, { verify: request.verify });
      return head.exists ? { exists: true, object: toObjectInfo(head.meta), corrupt: false } : { exists: false, corrupt: head.corrupt };
    },

    async deleteObject(request) {
      return { existed: await objects.delete(request.key) };
    },

    async listObjects(request) {
      const limit = pageSizeOf(request.pageSize);
      const after = decodePageToken(request.pageToken, request.prefix);
      const page = objects.list(request.prefix, after, limit);
      const last = page.objects[page.objects.length - 1];
      return { objects: page.objects.map(toObjectInfo), nextPageToken: page.more && last ? encodePageToken(last.key) : "" };
    },

    async copyObjectFrom(request, context) {
      const want = { key: request.key, kind: request.kind, size: request.size, checksum: request.checksum };
      const done = objects.precheckPut(want);
      if (done) return { object: toObjectInfo(done.meta), alreadyExisted: true };
      const source = sourceAddressOf(request.sourceAddress);
      try {
        // The peer refuses a copy recorded with another checksum (expected), and the client
        // verifies the bytes on arrival; the write below checks them against the request again.
        const reader = await peers.openObject(source, request.key, { expected: request.checksum, signal: context.signal });
        if (reader.info.size !== request.size) {
          await reader.close();
          throw new DmlError("DATA_LOSS", `the source holds ${reader.info.size} bytes, expected ${request.size}`);
        }
        const result = await objects.put(want, reader.chunks);
        log.info({ key: request.key, source, size: request.size, alreadyExisted: result.alreadyExisted }, "object copied from peer");
        return { object: toObjectInfo(result.meta), alreadyExisted: result.alreadyExisted };
      } catch (err) {
        if (err instanceof ClientError) {
          throw new ServerError(err.code, `copying ${request.key} from ${source}: ${err.details}`);
        }
        if (err instanceof DmlError && err.code === "DATA_LOSS") {
          throw new ServerError(Status.DATA_LOSS, `copying ${request.key} from ${source}: ${err.message}; nothing copied`);
        }
        throw err;
      }
    },
  };
}
