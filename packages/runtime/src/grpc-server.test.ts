import { connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, createChannel, createClient, Metadata, Status, type Channel, type ServerMiddleware } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { storeV1, workV1 } from "@dml/proto";
import { startGrpcServer, type GrpcServerHandle } from "./grpc-server.js";
import { CLIENT_OPTIONS, FLOW_CONTROL_WINDOW_BYTES } from "./grpc-options.js";
import { createLogger } from "./logger.js";
import { DmlError } from "./errors.js";
import { withUnimplemented } from "./unimplemented.js";

// grpc.health.v1.HealthCheckResponse.ServingStatus (the enum is not exported by the package root).
const SERVING = 1;
const NOT_SERVING = 2;

const EIGHT_MIB = 8 * 1024 * 1024;

function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

function expectClientError(err: unknown, code: Status, details: string): void {
  expect(err).toBeInstanceOf(ClientError);
  expect(Status[(err as ClientError).code]).toBe(Status[code]);
  expect((err as ClientError).details).toBe(details);
}

/** A store that keeps objects in memory: PutObject takes the bytes, GetObject streams them back. */
function echoStore(): storeV1.StoreServiceImplementation {
  const objects = new Map<string, Buffer>();
  return withUnimplemented(storeV1.StoreServiceDefinition, {
    async putObject(request) {
      let key = "";
      const chunks: Buffer[] = [];
      for await (const msg of request) {
        if (msg.part?.$case === "header") key = msg.part.header.key;
        else if (msg.part?.$case === "chunk") chunks.push(msg.part.chunk);
      }
      const data = Buffer.concat(chunks);
      objects.set(key, data);
      return { object: { key, size: data.length }, alreadyExisted: false };
    },
    async *getObject(request) {
      const data = objects.get(request.key);
      if (!data) throw new DmlError("NOT_FOUND", `no object ${request.key}`);
      yield { part: { $case: "info", info: { key: request.key, size: data.length } } };
      yield { part: { $case: "chunk", chunk: data } };
    },
  });
}

const log = createLogger({ service: "test", node: "grpc-server-test", level: "silent" });

describe("startGrpcServer", () => {
  let handle: GrpcServerHandle;
  let channel: Channel;
  let health: ReturnType<typeof createClient<typeof HealthDefinition>>;
  let work: workV1.WorkServiceClient;
  let store: storeV1.StoreServiceClient;

  beforeAll(async () => {
    handle = await startGrpcServer({
      listen: { host: "127.0.0.1", port: 0 },
      log,
      services: [
        {
          definition: workV1.WorkServiceDefinition,
          implementation: withUnimplemented(workV1.WorkServiceDefinition, {
            async completeTask(request) {
              if (request.taskId === "missing") throw new DmlError("NOT_FOUND", "x");
              if (request.taskId === "stale") throw new DmlError("STALE_FENCE", "attempt 1 is not current");
              if (request.taskId === "crash") throw new Error("secret: db password is hunter2");
              return { duplicate: false };
            },
          }),
        },
        { definition: storeV1.StoreServiceDefinition, implementation: echoStore() },
      ],
    });
    channel = createChannel(handle.boundAddress, undefined, CLIENT_OPTIONS);
    health = createClient(HealthDefinition, channel);
    work = createClient(workV1.WorkServiceDefinition, channel);
    store = createClient(storeV1.StoreServiceDefinition, channel);
  });

  afterAll(async () => {
    channel?.close();
    await handle?.stop(100);
  });

  it("binds a real port and reports it", () => {
    expect(handle.port).toBeGreaterThan(0);
    expect(handle.boundAddress).toBe(`127.0.0.1:${handle.port}`);
  });

  it("answers health checks SERVING for the server and for each added service", async () => {
    expect((await health.check({ service: "" })).status).toBe(SERVING);
    expect((await health.check({ service: workV1.WorkServiceDefinition.fullName })).status).toBe(SERVING);
    expect((await health.check({ service: storeV1.StoreServiceDefinition.fullName })).status).toBe(SERVING);
  });

  it("answers NOT_SERVING after setServing(false), and SERVING again after setServing(true)", async () => {
    handle.setServing(false);
    try {
      expect((await health.check({ service: "" })).status).toBe(NOT_SERVING);
      expect((await health.check({ service: workV1.WorkServiceDefinition.fullName })).status).toBe(NOT_SERVING);
    } finally {
      handle.setServing(true);
    }
    expect((await health.check({ service: "" })).status).toBe(SERVING);
  });

  it("maps a DmlError through the table, keeping its message", async () => {
    expectClientError(await caught(work.completeTask({ taskId: "missing" })), Status.NOT_FOUND, "x");
    expectClientError(await caught(work.completeTask({ taskId: "stale" })), Status.ABORTED, "attempt 1 is not current");
  });

  it("maps a DmlError thrown from a server-streaming handler", async () => {
    const err = await caught(
      (async () => {
        for await (const _ of store.getObject({ key: "never-put" })) void _;
      })(),
    );
    expectClientError(err, Status.NOT_FOUND, "no object never-put");
  });

  it("turns an unexpected error into INTERNAL 'internal error' without leaking its message", async () => {
    const err = await caught(work.completeTask({ taskId: "crash" }));
    expectClientError(err, Status.INTERNAL, "internal error");
    expect((err as ClientError).message).not.toContain("hunter2");
  });

  it("still answers normally after errors", async () => {
    expect(await work.completeTask({ taskId: "ok" })).toEqual({ duplicate: false });
  });

  it("round-trips an 8 MiB message in both directions with CLIENT_OPTIONS", async () => {
    const data = Buffer.alloc(EIGHT_MIB);
    for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) % 251;
    data[data.length - 1] = 0xab;
    async function* parts() {
      yield { part: { $case: "header" as const, header: { key: "big", size: data.length } } };
      yield { part: { $case: "chunk" as const, chunk: data } };
    }
    const put = await store.putObject(parts());
    expect(put.object?.size).toBe(EIGHT_MIB);

    const received: Buffer[] = [];
    for await (const msg of store.getObject({ key: "big" })) {
      if (msg.part?.$case === "chunk") received.push(msg.part.chunk);
    }
    expect(received).toHaveLength(1);
    expect(received[0]!.length).toBe(EIGHT_MIB);
    expect(Buffer.compare(received[0]!, data)).toBe(0);
  });

  it("advertises a large HTTP/2 receive window, so big client streams do not stall on WINDOW_UPDATEs", async () => {
    const session = connect(`http://${handle.boundAddress}`);
    try {
      const settings = await new Promise<{ initialWindowSize?: number }>((resolve, reject) => {
        session.once("remoteSettings", resolve);
        session.once("error", reject);
      });
      expect(settings.initialWindowSize).toBe(FLOW_CONTROL_WINDOW_BYTES);
    } finally {
      session.destroy();
    }
  });

  it("(control) the same 8 MiB reply is refused by a client on gRPC's default limits", async () => {
    const plain = createChannel(handle.boundAddress);
    try {
      const client = createClient(storeV1.StoreServiceDefinition, plain);
      const err = await caught(
        (async () => {
          for await (const _ of client.getObject({ key: "big" })) void _;
        })(),
      );
      expect(err).toBeInstanceOf(ClientError);
      expect(Status[(err as ClientError).code]).toBe("RESOURCE_EXHAUSTED");
    } finally {
      plain.close();
    }
  });
});

describe("startGrpcServer with a middleware", () => {
  it("maps errors thrown by the middleware too", async () => {
    const requireToken: ServerMiddleware = async function* (call, context) {
      if (context.metadata.get("authorization") !== "Bearer sesame-123") {
        throw new DmlError("UNAUTHENTICATED", "missing or wrong bearer token");
      }
      return yield* call.next(call.request, context);
    };
    const handle = await startGrpcServer({
      listen: { host: "127.0.0.1", port: 0 },
      log,
      middleware: requireToken,
      services: [
        {
          definition: workV1.WorkServiceDefinition,
          implementation: withUnimplemented(workV1.WorkServiceDefinition, {
            completeTask: async () => ({ duplicate: true }),
          }),
        },
      ],
    });
    const channel = createChannel(handle.boundAddress, undefined, CLIENT_OPTIONS);
    try {
      const work = createClient(workV1.WorkServiceDefinition, channel);
      expectClientError(await caught(work.completeTask({})), Status.UNAUTHENTICATED, "missing or wrong bearer token");
      const ok = await work.completeTask({}, { metadata: Metadata({ authorization: "Bearer sesame-123" }) });
      expect(ok.duplicate).toBe(true);
    } finally {
      channel.close();
      await handle.stop(100);
    }
  });
});

describe("GrpcServerHandle.stop", () => {
  it("resolves, and the server no longer answers afterwards", async () => {
    const handle = await startGrpcServer({ listen: { host: "127.0.0.1", port: 0 }, log, services: [] });
    const channel = createChannel(handle.boundAddress, undefined, CLIENT_OPTIONS);
    try {
      const health = createClient(HealthDefinition, channel);
      expect((await health.check({ service: "" })).status).toBe(SERVING);
      await expect(handle.stop(1_000)).resolves.toBeUndefined();
      const err = await caught(health.check({ service: "" }, { signal: AbortSignal.timeout(5_000) }));
      expect(err).toBeInstanceOf(ClientError);
      expect(Status[(err as ClientError).code]).toBe("UNAVAILABLE");
    } finally {
      channel.close();
    }
  });
});
