// StoreClients against a scripted in-process StoreService: chunking on the way out, verification
// on the way in, paging, errors and cancellation. (The real store is tested in services/store.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, ServerError, Status } from "nice-grpc";
import { storeV1 } from "@dml/proto";
import { computeChecksum } from "./checksum.js";
import { DmlError } from "./errors.js";
import { startGrpcServer, type GrpcServerHandle } from "./grpc-server.js";
import { createLogger } from "./logger.js";
import { StoreClients, STORE_CHUNK_BYTES } from "./store-client.js";
import { withUnimplemented } from "./unimplemented.js";

const log = createLogger({ service: "test", node: "store-client-test", level: "silent" });
const BATCH = storeV1.ObjectKind.OBJECT_KIND_BATCH;

function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const info = (key: string, data: Uint8Array, checksum = computeChecksum(data)): storeV1.GetObjectResponse => ({
  part: { $case: "info", info: { key, kind: BATCH, size: data.length, checksum, createdAt: "2024-01-01T00:00:00.000Z" } },
});
const chunk = (data: Buffer): storeV1.GetObjectResponse => ({ part: { $case: "chunk", chunk: data } });

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
}

describe("StoreClients", () => {
  let server: GrpcServerHandle;
  const clients = new StoreClients();
  let address: string;
  const received: Array<{ header?: storeV1.PutObjectHeader; chunkSizes: number[] }> = [];
  let cancelled: Promise<void>;
  let onCancelled: () => void;

  /** What GetObject answers, by key. */
  const scripts: Record<string, () => AsyncGenerator<storeV1.GetObjectResponse>> = {
    good: async function* () {
      const data = bytes(2 * STORE_CHUNK_BYTES + 10);
      yield info("good", data);
      for (let i = 0; i < data.length; i += STORE_CHUNK_BYTES) yield chunk(data.subarray(i, i + STORE_CHUNK_BYTES));
    },
    short: async function* () {
      const data = bytes(100);
      yield info("short", data);
      yield chunk(data.subarray(0, 60));
    },
    long: async function* () {
      const data = bytes(100);
      yield info("long", data);
      yield chunk(data);
      yield chunk(data);
    },
    flipped: async function* () {
      const data = bytes(100);
      yield info("flipped", data);
      const bad = Buffer.from(data);
      bad[50]! ^= 1;
      yield chunk(bad);
    },
    chunkFirst: async function* () {
      yield chunk(bytes(10));
    },
    endless: async function* () {
      const zeros = Buffer.alloc(STORE_CHUNK_BYTES);
      yield { part: { $case: "info", info: { key: "endless", kind: BATCH, size: 2 ** 40, checksum: computeChecksum(zeros), createdAt: "" } } };
      try {
        for (;;) yield chunk(zeros);
      } finally {
        onCancelled();
      }
    },
  };

  beforeAll(async () => {
    cancelled = new Promise((resolve) => (onCancelled = resolve));
    const keys = ["a", "b", "c", "d", "e"];
    server = await startGrpcServer({
      listen: { host: "127.0.0.1", port: 0 },
      log,
      services: [
        {
          definition: storeV1.StoreServiceDefinition,
          implementation: withUnimplemented(storeV1.StoreServiceDefinition, {
            async putObject(requests) {
              const record: (typeof received)[number] = { chunkSizes: [] };
              for await (const msg of requests) {
                if (msg.part?.$case === "header") record.header = msg.part.header;
                else if (msg.part?.$case === "chunk") record.chunkSizes.push(msg.part.chunk.length);
              }
              received.push(record);
              const h = record.header!;
              return { object: { key: h.key, kind: h.kind, size: h.size, checksum: h.checksum, createdAt: "now" }, alreadyExisted: false };
            },
            async *getObject(request) {
              const script = scripts[request.key];
              if (!script) throw new ServerError(Status.NOT_FOUND, `no object ${request.key}`);
              yield* script();
            },
            async listObjects(request) {
              // Pages of 2 after the key in the token.
              const start = request.pageToken ? keys.indexOf(request.pageToken) + 1 : 0;
              const page = keys.slice(start, start + request.pageSize);
              const last = page[page.length - 1]!;
              return {
                objects: page.map((key) => ({ key, kind: BATCH, size: 1, createdAt: "" })),
                nextPageToken: start + page.length < keys.length ? last : "",
              };
            },
          }),
        },
      ],
    });
    address = server.boundAddress;
  });

  afterAll(async () => {
    clients.close();
    await server.stop(0);
  });

  it("reuses one client per address", () => {
    expect(clients.client(address)).toBe(clients.client(address));
  });

  it("puts in chunks of at most 1 MiB after a header with size and checksum", async () => {
    const data = bytes(2.5 * STORE_CHUNK_BYTES);
    const res = await clients.putObject(address, { key: "k", kind: BATCH, data });
    expect(res.alreadyExisted).toBe(false);
    const last = received[received.length - 1]!;
    expect(last.header).toEqual({ key: "k", kind: BATCH, size: data.length, checksum: computeChecksum(data) });
    expect(last.chunkSizes).toEqual([STORE_CHUNK_BYTES, STORE_CHUNK_BYTES, STORE_CHUNK_BYTES / 2]);
    await clients.putObject(address, { key: "empty", kind: BATCH, data: new Uint8Array(0) });
    expect(received[received.length - 1]!.chunkSizes).toEqual([]);
  });

  it("puts the view it is given, not the whole underlying buffer", async () => {
    const backing = bytes(1000);
    const view = backing.subarray(100, 300);
    await clients.putObject(address, { key: "view", kind: BATCH, data: view });
    expect(received[received.length - 1]!.chunkSizes).toEqual([200]);
    expect(received[received.length - 1]!.header!.checksum).toEqual(computeChecksum(view));
  });

  it("gets a multi-chunk object whole, verified", async () => {
    const data = await clients.getObject(address, "good");
    expect(Buffer.from(data).equals(bytes(2 * STORE_CHUNK_BYTES + 10))).toBe(true);
  });

  it.each([
    ["short", /sent 60 bytes of short, expected 100/],
    ["long", /sent 200 bytes of long, expected 100/],
    ["flipped", /fails its checksum/],
    ["chunkFirst", /sent no object info/],
  ])("throws DATA_LOSS itself when the %s stream does not verify", async (key, message) => {
    const err = await failure(clients.getObject(address, key));
    expect(err).toBeInstanceOf(DmlError);
    expect((err as DmlError).code).toBe("DATA_LOSS");
    expect((err as DmlError).message).toMatch(message);
  });

  it("checks the caller's expected checksum: same algorithm at once, another while reading", async () => {
    const other = computeChecksum(bytes(5));
    expect(await failure(clients.getObject(address, "good", other))).toMatchObject({ code: "DATA_LOSS", message: /expected crc32c/ });
    const sha = computeChecksum(bytes(2 * STORE_CHUNK_BYTES + 10), 2);
    expect((await clients.getObject(address, "good", sha)).length).toBe(2 * STORE_CHUNK_BYTES + 10);
    expect(await failure(clients.getObject(address, "good", computeChecksum(bytes(5), 2)))).toMatchObject({ code: "DATA_LOSS" });
  });

  it("surfaces the store's status as a ClientError", async () => {
    const err = await failure(clients.getObject(address, "missing"));
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe(Status.NOT_FOUND);
    expect(await failure(clients.headObject(address, "x"))).toMatchObject({ code: Status.UNIMPLEMENTED });
  });

  it("lists every page", async () => {
    const keys: string[] = [];
    for await (const o of clients.listObjects(address, "", { pageSize: 2 })) keys.push(o.key);
    expect(keys).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("an aborted signal cancels a call; closing a reader cancels the server's stream", async () => {
    const controller = new AbortController();
    const reader = await clients.openObject(address, "endless", { signal: controller.signal });
    expect(reader.info.key).toBe("endless");
    const iterator = reader.chunks[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    expect(await failure(iterator.next())).toMatchObject({ name: "AbortError" });
    await cancelled;

    const second = await clients.openObject(address, "good");
    await second.close();
    const aborted = await failure(clients.getObject(address, "good", undefined, { signal: AbortSignal.abort() }));
    expect(aborted).toMatchObject({ name: "AbortError" });
  });
});
