// Trainings against a real etcd, without a scheduler: datasets and task progress are written by
// hand, the way the ingest path and the scheduler leader would. Covers create/get/list/cancel,
// the watch (snapshot, progress/state events, end, resume, compaction), and the REST edge (SSE).
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Etcd3 } from "etcd3";
import { ClientError, createChannel, createClient, Status } from "nice-grpc";
import { trainingV1 } from "@dml/proto";
import { createEtcdClient, createLogger, DmlError, startGrpcServer, type GrpcServerHandle } from "@dml/runtime";
import { DatasetRepository, taskKey, TrainingRepository, type DatasetManifest, type TaskRecord, type TrainingView } from "@dml/catalog";
import { buildRouter } from "../../http/routes.js";
import { createRestServer } from "../../http/server.js";
import { trainingService } from "../../grpc/training-service.js";
import type { Datasets } from "../datasets/datasets.js";
import { Trainings } from "./trainings.js";
import type { TrainingEvent } from "./watch.js";

// @dml/cli runs etcd for `dml up` and the test kit. It is loaded at run time, not declared as a
// dependency: the gateway must not depend on the CLI in the build graph.
interface EtcdLauncher {
  startEtcd(opts: { dataDir: string; clientPort: number; peerPort: number; logFile?: string }): Promise<{ endpoint: string; stop(): Promise<void> }>;
  findFreePort(): Promise<number>;
}
const CLI_MODULE = "@dml/cli";

let dir: string;
let etcdProcess: { endpoint: string; stop(): Promise<void> };
let etcd: Etcd3;
let trainings: Trainings;
let http: Server;
let baseUrl: string;
let grpc: GrpcServerHandle;

const iris: DatasetManifest = {
  id: "ds_iris",
  name: "iris",
  rows: 150,
  columns: [
    { name: "sepal", type: "number", missing: 0, stats: { distinct: 35 } },
    { name: "petal", type: "integer", missing: 0, stats: { distinct: 20 } },
    { name: "species", type: "category", missing: 0, stats: { distinct: 3 } },
  ],
  batches: [],
  bytes: 0,
  createdAt: "2024-01-01T00:00:00.000Z",
  replication: 1,
  warnings: [],
};

const request = { datasetId: "ds_iris", target: "species", task: "classification", models: [{ algorithm: "random_forest", params: { n_estimators: 5 } }, { algorithm: "knn" }] };

beforeAll(async () => {
  const cli = (await import(CLI_MODULE)) as EtcdLauncher;
  dir = mkdtempSync(join(tmpdir(), "dml-trainings-"));
  const [clientPort, peerPort] = [await cli.findFreePort(), await cli.findFreePort()];
  etcdProcess = await cli.startEtcd({ dataDir: join(dir, "etcd"), clientPort, peerPort, logFile: join(dir, "etcd.log") });
  etcd = createEtcdClient([etcdProcess.endpoint]);
  const datasets = new DatasetRepository(etcd);
  await datasets.create(iris);
  trainings = new Trainings({ etcd, repo: new TrainingRepository(etcd), datasets });
  http = createRestServer({
    router: buildRouter({ etcd, datasets: {} as Datasets, trainings, maxUploadBytes: 1 }),
    log: createLogger({ service: "gateway", node: "test", level: "silent" }),
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  grpc = await startGrpcServer({
    listen: { host: "127.0.0.1", port: 0 },
    log: createLogger({ service: "gateway", node: "test", level: "silent" }),
    services: [{ definition: trainingV1.TrainingServiceDefinition, implementation: trainingService(trainings) }],
  });
});

afterAll(async () => {
  await grpc?.stop(0);
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
  etcd?.close();
  await etcdProcess?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes a task record the way the scheduler leader would (unfenced: there is no leader here). */
async function putTask(view: TrainingView, index: number, change: Partial<TaskRecord>): Promise<number> {
  const key = taskKey(view.id, view.models[index]!.modelId);
  const current = JSON.parse((await etcd.get(key).string())!) as TaskRecord;
  const res = await etcd.put(key).value(JSON.stringify({ ...current, ...change })).exec();
  return Number(res.header.revision);
}

/** Collects a watch's events until it ends (or `limit` events, then stops it). */
async function collect(events: AsyncIterable<TrainingEvent>, limit = Infinity): Promise<TrainingEvent[]> {
  const out: TrainingEvent[] = [];
  for await (const e of events) {
    out.push(e);
    if (out.length >= limit) break;
  }
  return out;
}

/** Watchers etcd holds open (its debugging gauge), to see that a stopped stream let go of its watch. */
async function etcdWatchers(): Promise<number> {
  const text = await (await fetch(`${etcdProcess.endpoint}/metrics`)).text();
  return Number(/^etcd_debugging_mvcc_watcher_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function rejection(p: Promise<unknown>): Promise<DmlError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DmlError);
  return err as DmlError;
}

describe("Trainings (etcd)", () => {
  it("creates a queued training with one task per model, and reads it back", async () => {
    const t = await trainings.create(request);
    expect(t.id).toMatch(/^t-[0-9a-f]{16}$/);
    expect(t).toMatchObject({ state: "queued", progress: 0, target: "species", task: "classification", testFraction: 0.2, cvFolds: 0, seed: 42, cancelRequested: false, leaderboard: [] });
    expect(t.models.map((m) => [m.algorithm, m.state, m.attempts])).toEqual([
      ["random_forest", "queued", 0],
      ["knn", "queued", 0],
    ]);
    expect(t.models[0]!.modelId).toMatch(/^m-[0-9a-f]{16}$/);
    expect(t.models[0]!.params).toEqual({ n_estimators: 5 });
    expect(await trainings.get(t.id)).toEqual(t);
    expect((await trainings.list()).map((x) => x.id)).toContain(t.id);
    expect((await trainings.list("ds_iris")).map((x) => x.id)).toContain(t.id);
    expect(await trainings.list("ds_other")).toEqual([]);
  });

  it("answers INVALID_ARGUMENT for an unknown dataset or a bad request, NOT_FOUND for an unknown training", async () => {
    const unknown = await rejection(trainings.create({ ...request, datasetId: "ds_nope" }));
    expect(unknown).toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "datasetId" } });
    expect(await rejection(trainings.create({ ...request, target: "colour" }))).toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "target" } });
    expect(await rejection(trainings.get("t-missing"))).toMatchObject({ code: "NOT_FOUND" });
    expect(await rejection(trainings.get("../x"))).toMatchObject({ code: "INVALID_ARGUMENT", details: { field: "trainingId" } });
    expect(await rejection(trainings.cancel("t-missing"))).toMatchObject({ code: "NOT_FOUND" });
    expect(await rejection(trainings.watch("t-missing"))).toMatchObject({ code: "NOT_FOUND" });
    expect(await rejection(trainings.list("bad id"))).toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("streams a snapshot, progress and state events, and ends when the training does", async () => {
    const t = await trainings.create(request);
    const watch = await trainings.watch(t.id);
    const done = collect(watch);
    const revisions = [
      await putTask(t, 0, { state: "running", attempt: 1, trainer: "tr-1" }),
      await putTask(t, 0, { progress: 0.5, message: "tree 2/5" }),
      await putTask(t, 1, { state: "running", attempt: 1, trainer: "tr-2" }),
      await putTask(t, 0, { state: "succeeded", progress: 1, metrics: { accuracy: 0.8 }, finishedAt: "2024-01-01T00:01:00.000Z" }),
      await putTask(t, 1, { state: "succeeded", progress: 1, metrics: { accuracy: 0.9 }, finishedAt: "2024-01-01T00:02:00.000Z" }),
    ];
    const events = await done;
    expect(events.map((e) => e.kind)).toEqual(["snapshot", "state", "progress", "state", "state", "state"]);
    expect(events.slice(1).map((e) => e.revision)).toEqual(revisions);
    expect(events[0]!.revision).toBeLessThan(revisions[0]!);
    expect(events[0]!.modelId).toBeUndefined();
    expect(events[2]!).toMatchObject({ modelId: t.models[0]!.modelId, training: { state: "running", progress: 0.25 } });
    expect(events[2]!.training.models[0]!.progressMessage).toBe("tree 2/5");
    const last = events.at(-1)!.training;
    expect(last).toMatchObject({ state: "succeeded", progress: 1, leaderboard: [t.models[1]!.modelId, t.models[0]!.modelId], finishedAt: "2024-01-01T00:02:00.000Z" });

    // A finished training: one snapshot, then the end.
    const again = await collect(await trainings.watch(t.id));
    expect(again.map((e) => [e.kind, e.training.state])).toEqual([["snapshot", "succeeded"]]);

    // Resuming replays every change after the revision, without a snapshot.
    const resumed = await collect(await trainings.watch(t.id, revisions[1]));
    expect(resumed.map((e) => e.revision)).toEqual(revisions.slice(2));
    expect(resumed.at(-1)!.training.state).toBe("succeeded");

    // Resuming after the end: the client saw it; a snapshot lets the stream end.
    const after = await trainings.watch(t.id, revisions[4]);
    expect(after.resumedAfterEnd).toBe(true);
    expect((await collect(after)).map((e) => e.kind)).toEqual(["snapshot"]);
  });

  it("groups the changes of one etcd transaction into one event", async () => {
    const t = await trainings.create(request);
    const watch = await trainings.watch(t.id);
    const done = collect(watch, 2);
    const keys = t.models.map((m) => taskKey(t.id, m.modelId));
    const values = await Promise.all(keys.map(async (k) => JSON.parse((await etcd.get(k).string())!) as TaskRecord));
    const txn = await etcd
      .if(keys[0]!, "Version", ">", 0)
      .then(...keys.map((k, i) => etcd.put(k).value(JSON.stringify({ ...values[i], state: "running", attempt: 1 }))))
      .commit();
    const events = await done;
    expect(events[1]).toMatchObject({ revision: Number(txn.header.revision), kind: "state", training: { state: "running" } });
    expect(events[1]!.modelId).toBeUndefined();
  });

  it("cancels idempotently, shows the cancel as a state event, and leaves a finished training unchanged", async () => {
    const t = await trainings.create(request);
    const watch = await trainings.watch(t.id);
    const done = collect(watch, 2);
    const cancelled = await trainings.cancel(t.id);
    expect(cancelled).toMatchObject({ id: t.id, cancelRequested: true, state: "queued" });
    expect(await trainings.cancel(t.id)).toEqual(cancelled);
    const events = await done;
    expect(events[1]).toMatchObject({ kind: "state", training: { cancelRequested: true } });

    const finished = await trainings.create(request);
    for (const i of [0, 1]) await putTask(finished, i, { state: "failed", attempt: 3, error: "boom" });
    const view = await trainings.cancel(finished.id);
    expect(view).toMatchObject({ state: "failed", cancelRequested: false });
    expect(view.error).toMatch(/every model failed; first error: boom/);
  });

  it("stops the etcd watch when the consumer aborts while waiting, or stops iterating", async () => {
    const t = await trainings.create(request);
    const before = await etcdWatchers();
    const stop = new AbortController();
    const watch = await trainings.watch(t.id, undefined, stop.signal);
    const done = collect(watch);
    await until(async () => (await etcdWatchers()) === before + 1);
    stop.abort();
    expect((await done).map((e) => e.kind)).toEqual(["snapshot"]);
    await until(async () => (await etcdWatchers()) === before);

    const broken = collect(await trainings.watch(t.id), 2);
    await until(async () => (await etcdWatchers()) === before + 1);
    await putTask(t, 0, { progress: 0.1 });
    expect((await broken).map((e) => e.kind)).toEqual(["snapshot", "progress"]);
    await until(async () => (await etcdWatchers()) === before);
  });

  it("falls back to a fresh snapshot when the resume revision was compacted away", async () => {
    const t = await trainings.create(request);
    const old = await putTask(t, 0, { state: "running", attempt: 1 });
    const now = await putTask(t, 0, { progress: 0.3 });
    await etcd.kv.compact({ revision: String(now) });
    const watch = await trainings.watch(t.id, old);
    const events = await collect(watch, 1);
    expect(events[0]).toMatchObject({ kind: "snapshot", training: { state: "running" } });
    expect(events[0]!.revision).toBeGreaterThanOrEqual(now);
  });
});

describe("REST /v1/trainings", () => {
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

  it("creates (202), gets, lists and cancels (202)", async () => {
    const res = await post("/v1/trainings", request);
    expect(res.status).toBe(202);
    const t = (await res.json()) as TrainingView;
    expect(res.headers.get("location")).toBe(`/v1/trainings/${t.id}`);
    expect(t.state).toBe("queued");
    const got = await fetch(`${baseUrl}/v1/trainings/${t.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(t);
    const list = (await (await fetch(`${baseUrl}/v1/trainings?datasetId=ds_iris`)).json()) as { trainings: TrainingView[] };
    expect(list.trainings.map((x) => x.id)).toContain(t.id);
    const cancel = await post(`/v1/trainings/${t.id}/cancel`, "");
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toMatchObject({ id: t.id, cancelRequested: true });
    expect((await fetch(`${baseUrl}/v1/trainings/t-nope`)).status).toBe(404);
  });

  it("answers 400 naming the problem", async () => {
    const bad = await post("/v1/trainings", { ...request, models: [{ algorithm: "svm", params: { kernel: "poly" } }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "INVALID_ARGUMENT", details: { field: "models[0].params.kernel" } } });
    const json = await post("/v1/trainings", "{not json");
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
    const big = await post("/v1/trainings", JSON.stringify({ ...request, pad: "x".repeat(1024 * 1024) }));
    expect(big.status).toBe(400);
    const unknownDataset = await post("/v1/trainings", { ...request, datasetId: "ds_missing" });
    expect(unknownDataset.status).toBe(400);
  });

  it("streams Server-Sent Events until the training ends, and resumes from Last-Event-ID", async () => {
    const t = (await (await post("/v1/trainings", request)).json()) as TrainingView;
    const res = await fetch(`${baseUrl}/v1/trainings/${t.id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = res.text();
    // Give the server's watch a moment to start before the changes land (it replays them anyway).
    await new Promise((r) => setTimeout(r, 100));
    const r1 = await putTask(t, 0, { state: "running", attempt: 1 });
    await putTask(t, 0, { state: "succeeded", progress: 1 });
    const r3 = await putTask(t, 1, { state: "failed", attempt: 3, error: "boom" });
    const frames = (await text).trim().split("\n\n");
    expect(frames).toHaveLength(4);
    expect(frames[0]).toMatch(/^id: \d+\nevent: snapshot\ndata: \{/);
    expect(frames[1]).toBe(`id: ${r1}\nevent: state\ndata: ${frames[1]!.split("data: ")[1]}`);
    expect(JSON.parse(frames[3]!.split("data: ")[1]!)).toMatchObject({ id: t.id, state: "succeeded" });

    const resumed = await fetch(`${baseUrl}/v1/trainings/${t.id}/events?fromRevision=${r1}`);
    const replay = (await resumed.text()).trim().split("\n\n");
    expect(replay.map((f) => f.split("\n")[1])).toEqual(["event: state", "event: state"]);
    // An EventSource reconnecting after the end gets 204, which stops it.
    const over = await fetch(`${baseUrl}/v1/trainings/${t.id}/events`, { headers: { "last-event-id": String(r3) } });
    expect(over.status).toBe(204);
    expect((await fetch(`${baseUrl}/v1/trainings/${t.id}/events?fromRevision=x`)).status).toBe(400);
  });

  it("stops the watch when the SSE client disconnects", async () => {
    const t = (await (await post("/v1/trainings", request)).json()) as TrainingView;
    const before = await etcdWatchers();
    const client = new AbortController();
    const res = await fetch(`${baseUrl}/v1/trainings/${t.id}/events`, { signal: client.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^id: \d+\nevent: snapshot\n/);
    await until(async () => (await etcdWatchers()) === before + 1);
    client.abort();
    await until(async () => (await etcdWatchers()) === before);
  });
});

describe("gRPC dml.training.v1.TrainingService", () => {
  const { Algorithm, TaskType, TrainingState, TrainingEventKind } = trainingV1;

  it("creates (params as a Struct), lists, watches until the end, and maps errors", async () => {
    const channel = createChannel(grpc.boundAddress);
    const client = createClient(trainingV1.TrainingServiceDefinition, channel);
    try {
      const { training } = await client.createTraining({
        datasetId: "ds_iris",
        target: "petal",
        task: TaskType.TASK_TYPE_REGRESSION,
        models: [{ algorithm: Algorithm.ALGORITHM_GRADIENT_BOOSTING, params: { n_estimators: 20, learning_rate: 0.1 } }],
        cvFolds: 3,
        seed: 0,
      });
      expect(training).toMatchObject({ state: TrainingState.TRAINING_STATE_QUEUED, task: TaskType.TASK_TYPE_REGRESSION, testFraction: 0.2, cvFolds: 3, seed: 0, primaryMetric: "r2" });
      expect(training!.models[0]!.params).toEqual({ n_estimators: 20, learning_rate: 0.1 });
      const { trainings: listed } = await client.listTrainings({ datasetId: "ds_iris" });
      expect(listed.map((t) => t.id)).toContain(training!.id);

      const view = await trainings.get(training!.id);
      const seen: trainingV1.WatchTrainingResponse[] = [];
      const stream = (async () => {
        for await (const e of client.watchTraining({ trainingId: training!.id })) seen.push(e);
      })();
      await new Promise((r) => setTimeout(r, 100));
      const revision = await putTask(view, 0, { state: "succeeded", attempt: 1, progress: 1, metrics: { r2: 0.7 } });
      await stream;
      expect(seen.map((e) => e.kind)).toEqual([TrainingEventKind.TRAINING_EVENT_KIND_SNAPSHOT, TrainingEventKind.TRAINING_EVENT_KIND_STATE]);
      expect(seen[1]).toMatchObject({ revision, modelId: view.models[0]!.modelId, training: { state: TrainingState.TRAINING_STATE_SUCCEEDED, leaderboard: [view.models[0]!.modelId] } });

      const bad = await client
        .createTraining({ datasetId: "ds_iris", target: "species", task: TaskType.TASK_TYPE_REGRESSION, models: [{ algorithm: Algorithm.ALGORITHM_SVM }], cvFolds: 0 })
        .catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ClientError);
      expect((bad as ClientError).code).toBe(Status.INVALID_ARGUMENT);
      expect((bad as ClientError).details).toMatch(/svm does not do regression/);
      const missing = await client.getTraining({ trainingId: "t-none" }).catch((e: unknown) => e);
      expect((missing as ClientError).code).toBe(Status.NOT_FOUND);
      const cancelled = await client.cancelTraining({ trainingId: training!.id });
      expect(cancelled.training).toMatchObject({ state: TrainingState.TRAINING_STATE_SUCCEEDED, cancelRequested: false });
    } finally {
      channel.close();
    }
  });
});
