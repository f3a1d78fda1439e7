// How the gateway, trainers and schedulers talk to store nodes: one nice-grpc channel per store
// address, and calls that do the StoreService's streaming for the caller (1 MiB chunks out,
// chunks collected and verified end-to-end on the way in).
//
// Errors: a store's own status surfaces as nice-grpc's ClientError with that code (the caller
// decides whether to fail over to another replica); bytes that fail their checksum on arrival
// throw DmlError("DATA_LOSS"). Every call takes an AbortSignal for deadlines and cancellation.
import type { ChannelOptions } from "@grpc/grpc-js";
import { storeV1, type commonV1 } from "@dml/proto";
import { ChecksumVerifier, checksumsEqual, computeChecksum, formatChecksum } from "./checksum.js";
import { DmlError } from "./errors.js";
import { GrpcClientPool } from "./client-pool.js";
import { CLIENT_OPTIONS } from "./grpc-options.js";
import { StoreServiceDefinition } from "./store-codec.js";

type Checksum = commonV1.Checksum;

/** Largest chunk the StoreService accepts in one PutObject message, and what stores send. */
export const STORE_CHUNK_BYTES = 1024 * 1024;

export interface StoreCallOptions {
  /** Deadline or cancellation, e.g. AbortSignal.timeout(10_000). */
  signal?: AbortSignal;
}

export interface PutObjectInput {
  key: string;
  kind: storeV1.ObjectKind;
  data: Uint8Array;
  /** Checksum of `data`; computed here (CRC32C) when omitted. */
  checksum?: Checksum;
}

export interface PutObjectResult {
  object: storeV1.ObjectInfo;
  /** The store already held an identical object. */
  alreadyExisted: boolean;
}

export interface CopyObjectInput {
  key: string;
  /** host:port of the store that has the object. */
  sourceAddress: string;
  size: number;
  checksum: Checksum;
  kind: storeV1.ObjectKind;
}

/** An object being read: its info at once, its bytes as they arrive (verified at the end). */
export interface ObjectReader {
  info: storeV1.ObjectInfo;
  /**
   * The chunks, in order. Throws DmlError("DATA_LOSS") after the last chunk when the bytes do not
   * add up to info.size or fail a checksum, so a consumer must discard what it got on any error.
   * Iterate once.
   */
  chunks: AsyncIterable<Uint8Array>;
  /** Cancels the stream when the chunks will not be read to the end. */
  close(): Promise<void>;
}

/**
 * The chunks of objects being written, as views of their bytes (no copy), shared by concurrent
 * writes of the same bytes (a batch's R replicas): the codec encodes a chunk object once
 * (store-codec.ts), not once per replica. Dropped when the last such write ends.
 */
const writing = new Map<Uint8Array, { chunks: Buffer[]; writers: number }>();

function acquireChunks(data: Uint8Array): Buffer[] {
  let entry = writing.get(data);
  if (entry === undefined) {
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < data.length; offset += STORE_CHUNK_BYTES) {
      const end = Math.min(offset + STORE_CHUNK_BYTES, data.length);
      chunks.push(Buffer.from(data.buffer, data.byteOffset + offset, end - offset));
    }
    entry = { chunks, writers: 0 };
    writing.set(data, entry);
  }
  entry.writers++;
  return entry.chunks;
}

function releaseChunks(data: Uint8Array): void {
  const entry = writing.get(data)!;
  if (--entry.writers === 0) writing.delete(data);
}

export class StoreClients {
  private readonly pool: GrpcClientPool<typeof StoreServiceDefinition>;

  constructor(channelOptions: ChannelOptions = CLIENT_OPTIONS) {
    this.pool = new GrpcClientPool(StoreServiceDefinition, channelOptions);
  }

  /** The raw nice-grpc client for `address` (host:port), created on first use. */
  client(address: string): storeV1.StoreServiceClient {
    return this.pool.client(address);
  }

  /** Writes `data` under `key` durably on the store at `address`, in 1 MiB chunks. */
  async putObject(address: string, input: PutObjectInput, opts: StoreCallOptions = {}): Promise<PutObjectResult> {
    const checksum = input.checksum ?? computeChecksum(input.data);
    const { data } = input;
    const chunks = acquireChunks(data);
    async function* messages(): AsyncIterable<storeV1.PutObjectRequest> {
      yield { part: { $case: "header", header: { key: input.key, kind: input.kind, size: data.length, checksum } } };
      for (const chunk of chunks) yield { part: { $case: "chunk", chunk } };
    }
    try {
      const res = await this.client(address).putObject(messages(), { signal: opts.signal });
      if (!res.object) throw new DmlError("INTERNAL", `store ${address} answered PutObject without the object's info`);
      return { object: res.object, alreadyExisted: res.alreadyExisted };
    } finally {
      releaseChunks(data);
    }
  }

  /**
   * Opens an object for streaming. `expected` (from a manifest or registry) makes the store refuse
   * a copy recorded with another checksum, and is verified here too.
   */
  async openObject(address: string, key: string, opts: StoreCallOptions & { expected?: Checksum } = {}): Promise<ObjectReader> {
    const controller = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, controller.signal]) : controller.signal;
    const stream = this.client(address).getObject({ key, expectedChecksum: opts.expected }, { signal })[Symbol.asyncIterator]();
    const close = async () => {
      controller.abort();
      await stream.return?.().catch(() => undefined);
    };
    const first = await stream.next();
    const info = first.done ? undefined : first.value.part?.$case === "info" ? first.value.part.info : undefined;
    const recorded = info?.checksum;
    if (!info || !recorded) {
      await close();
      throw new DmlError("DATA_LOSS", `store ${address} sent no object info for ${key}`);
    }
    const expected = opts.expected;
    if (expected && expected.algorithm === recorded.algorithm && !checksumsEqual(expected, recorded)) {
      await close();
      throw new DmlError("DATA_LOSS", `store ${address} holds ${key} as ${formatChecksum(recorded)}, expected ${formatChecksum(expected)}`);
    }
    const verifier = new ChecksumVerifier(expected ? [recorded, expected] : [recorded]);
    let started = false;
    async function* chunks(): AsyncIterable<Uint8Array> {
      if (started) throw new Error(`the chunks of ${key} can be iterated only once`);
      started = true;
      let received = 0;
      try {
        for (;;) {
          const next = await stream.next();
          if (next.done) break;
          const part = next.value.part;
          if (part?.$case !== "chunk") throw new DmlError("DATA_LOSS", `store ${address} sent a second info message for ${key}`);
          received += part.chunk.length;
          if (received > info!.size) break;
          verifier.update(part.chunk);
          yield part.chunk;
        }
        if (received !== info!.size) {
          throw new DmlError("DATA_LOSS", `store ${address} sent ${received} bytes of ${key}, expected ${info!.size}`);
        }
        const mismatch = verifier.mismatches()[0];
        if (mismatch) {
          throw new DmlError(
            "DATA_LOSS",
            `${key} from store ${address} fails its checksum: expected ${formatChecksum(mismatch.expected)}, got ${formatChecksum(mismatch.actual)}`,
          );
        }
      } finally {
        // Cancels the call when the consumer stops early or the data was bad; a no-op after the end.
        await close();
      }
    }
    return { info, chunks: chunks(), close };
  }

  /** The whole object, verified against its recorded checksum and `expected` when given. */
  async getObject(address: string, key: string, expected?: Checksum, opts: StoreCallOptions = {}): Promise<Uint8Array> {
    const reader = await this.openObject(address, key, { ...opts, expected });
    // info.size is what the store recorded; the reader refuses more bytes than that.
    const out = Buffer.allocUnsafe(reader.info.size);
    let offset = 0;
    for await (const chunk of reader.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  async headObject(address: string, key: string, opts: StoreCallOptions & { verify?: boolean } = {}): Promise<storeV1.HeadObjectResponse> {
    return this.client(address).headObject({ key, verify: opts.verify ?? false }, { signal: opts.signal });
  }

  /** Idempotent: resolves with existed = false when there was nothing to delete. */
  async deleteObject(address: string, key: string, opts: StoreCallOptions = {}): Promise<storeV1.DeleteObjectResponse> {
    return this.client(address).deleteObject({ key }, { signal: opts.signal });
  }

  /** Every object under `prefix` in key order, across all pages. */
  async *listObjects(
    address: string,
    prefix: string,
    opts: StoreCallOptions & { pageSize?: number } = {},
  ): AsyncIterable<storeV1.ObjectInfo> {
    let pageToken = "";
    do {
      const page = await this.client(address).listObjects({ prefix, pageSize: opts.pageSize ?? 0, pageToken }, { signal: opts.signal });
      yield* page.objects;
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
  }

  /** Asks the store at `address` to pull an object from `input.sourceAddress` and keep it durably. */
  async copyObjectFrom(address: string, input: CopyObjectInput, opts: StoreCallOptions = {}): Promise<PutObjectResult> {
    const res = await this.client(address).copyObjectFrom(input, { signal: opts.signal });
    if (!res.object) throw new DmlError("INTERNAL", `store ${address} answered CopyObjectFrom without the object's info`);
    return { object: res.object, alreadyExisted: res.alreadyExisted };
  }

  /** Closes every channel; the pool must not be used afterwards. */
  close(): void {
    this.pool.close();
  }
}
