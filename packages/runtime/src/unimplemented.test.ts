import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, createChannel, createClient, createServer, Status, type Channel, type Server } from "nice-grpc";
import { storeV1, workV1 } from "@dml/proto";
import { withUnimplemented } from "./unimplemented.js";

describe("withUnimplemented on a real gRPC server", () => {
  let server: Server;
  let channel: Channel;
  let work: workV1.WorkServiceClient;
  let store: storeV1.StoreServiceClient;

  beforeAll(async () => {
    // A real, small CompleteTask: records each (task, attempt) once and reports repeats.
    const completed = new Set<string>();
    server = createServer();
    server.add(
      workV1.WorkServiceDefinition,
      withUnimplemented(workV1.WorkServiceDefinition, {
        async completeTask(request) {
          const key = `${request.taskId}#${request.attempt}`;
          const duplicate = completed.has(key);
          completed.add(key);
          return { duplicate };
        },
      }),
    );
    server.add(storeV1.StoreServiceDefinition, withUnimplemented(storeV1.StoreServiceDefinition));
    const port = await server.listen("127.0.0.1:0");
    channel = createChannel(`127.0.0.1:${port}`);
    work = createClient(workV1.WorkServiceDefinition, channel);
    store = createClient(storeV1.StoreServiceDefinition, channel);
  });

  afterAll(async () => {
    channel?.close();
    await server?.shutdown();
  });

  it("keeps the implemented method", async () => {
    const first = await work.completeTask({ nodeId: "t1", taskId: "task-1", attempt: 1 });
    expect(first.duplicate).toBe(false);
    const again = await work.completeTask({ nodeId: "t1", taskId: "task-1", attempt: 1 });
    expect(again.duplicate).toBe(true);
  });

  it("answers UNIMPLEMENTED, naming the RPC, for a unary method it does not implement", async () => {
    const err = await work.reportProgress({ nodeId: "t1", taskId: "task-1", attempt: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe(Status.UNIMPLEMENTED);
    expect((err as ClientError).details).toBe("dml.work.v1.WorkService/ReportProgress is not implemented yet");
  });

  it("answers UNIMPLEMENTED for a server-streaming method", async () => {
    const received: unknown[] = [];
    const err = await (async () => {
      for await (const part of store.getObject({ key: "k" })) received.push(part);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(received).toEqual([]);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe(Status.UNIMPLEMENTED);
    expect((err as ClientError).details).toContain("dml.store.v1.StoreService/GetObject");
  });

  it("answers UNIMPLEMENTED for a client-streaming method", async () => {
    async function* parts() {
      yield { part: { $case: "header" as const, header: { key: "k", kind: 0, size: 1 } } };
    }
    const err = await store.putObject(parts()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe(Status.UNIMPLEMENTED);
    expect((err as ClientError).details).toContain("dml.store.v1.StoreService/PutObject");
  });

  it("fills every method of the definition and keeps the given ones", () => {
    const impl = async () => ({ duplicate: false });
    const filled = withUnimplemented(workV1.WorkServiceDefinition, { completeTask: impl }) as unknown as Record<string, unknown>;
    expect(Object.keys(filled).sort()).toEqual(Object.keys(workV1.WorkServiceDefinition.methods).sort());
    expect(filled["completeTask"]).toBe(impl);
  });
});
