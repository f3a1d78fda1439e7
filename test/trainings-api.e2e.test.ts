// Trainings through the user's doors (issue 5, points 1, 4, 6 and 7): REST create with up-front
// validation, parallel training on two trainers, live progress over Server-Sent Events that a
// reconnecting client resumes without missing an event, the leaderboard, and the gRPC watch.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient } from "nice-grpc";
import { trainingV1 } from "@dml/proto";
import { MODELS_PREFIX, type ModelRecord, type TrainingView } from "@dml/catalog";
import { CLIENT_OPTIONS, StoreClients } from "@dml/runtime";
import { TestCluster } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import { uploadCsv } from "./helpers/datasets.js";
import { assertFinalRecord, isEnded, postJson, readSse, readTraining, syntheticCsv, waitForTraining, waitNothingRunning } from "./helpers/trainings.js";

let cluster: TestCluster;
let etcd: Etcd3;
let base: string;
const ids: Record<string, string> = {};
const stores = new StoreClients();

beforeAll(async () => {
  cluster = await TestCluster.start({ schedulers: 1, stores: 3, trainers: 2, gateways: 1, env: { DML_TRAINER_SLOTS: "2" } });
  etcd = cluster.client();
  base = cluster.httpUrl;
  ids.iris = (await uploadCsv(base, readFileSync("test/fixtures/iris.csv"), { name: "iris" })).id;
  ids.diabetes = (await uploadCsv(base, readFileSync("test/fixtures/diabetes.csv"), { name: "diabetes" })).id;
  ids.synthetic = (await uploadCsv(base, syntheticCsv(20_000, 10), { name: "synthetic" })).id;
  ids.single = (await uploadCsv(base, "a,b,label\n" + Array.from({ length: 30 }, (_, i) => `${i},${i * 2},same`).join("\n") + "\n", { name: "single" })).id;
  ids.tiny = (await uploadCsv(base, "a,label\n1,x\n2,y\n3,x\n", { name: "tiny" })).id;
});

afterAll(async () => {
  stores.close();
  await cluster?.stop();
});

const create = (body: unknown) => postJson<TrainingView & { error?: { code: string; message: string; details?: Record<string, unknown> } }>(`${base}/v1/trainings`, body);

describe("POST /v1/trainings validation", () => {
  const good = () => ({ datasetId: ids.iris, target: "species", task: "classification", models: [{ algorithm: "knn" }] });
  const cases: Array<[string, (b: Record<string, unknown>) => unknown, RegExp]> = [
    ["an unknown dataset", (b) => ({ ...b, datasetId: "nope" }), /dataset nope not found/],
    ["a target that is not a column", (b) => ({ ...b, target: "colour" }), /colour/],
    ["an algorithm that does not fit the task", (b) => ({ ...b, models: [{ algorithm: "linear_regression" }] }), /linear_regression/],
    ["an unknown algorithm", (b) => ({ ...b, models: [{ algorithm: "deep_magic" }] }), /deep_magic/],
    ["a bad parameter name", (b) => ({ ...b, models: [{ algorithm: "knn", params: { n_trees: 3 } }] }), /n_trees/],
    ["a bad parameter value", (b) => ({ ...b, models: [{ algorithm: "random_forest", params: { n_estimators: -1 } }] }), /n_estimators/],
    ["no models", (b) => ({ ...b, models: [] }), /models/],
    ["a bad task", (b) => ({ ...b, task: "clustering" }), /task/],
    ["testFraction out of range", (b) => ({ ...b, testFraction: 1.5 }), /testFraction/],
    ["a regression on a text target", (b) => ({ ...b, task: "regression", models: [{ algorithm: "knn" }] }), /species/],
    ["a single class", () => ({ datasetId: ids.single, target: "label", task: "classification", models: [{ algorithm: "knn" }] }), /single class|one class|1 distinct/i],
    ["too few rows", () => ({ datasetId: ids.tiny, target: "label", task: "classification", models: [{ algorithm: "knn" }] }), /rows/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`answers 400 naming the problem for ${what}`, async () => {
      const res = await create(mutate(good()));
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe("INVALID_ARGUMENT");
      expect(res.body.error?.message).toMatch(message);
    });
  }

  it("records nothing for a refused request", async () => {
    const before = (await (await fetch(`${base}/v1/trainings`)).json()) as { trainings: unknown[] };
    await create({ ...good(), models: [{ algorithm: "knn", params: { n_neighbors: "many" } }] });
    const after = (await (await fetch(`${base}/v1/trainings`)).json()) as { trainings: unknown[] };
    expect(after.trainings.length).toBe(before.trainings.length);
  });
});

describe("a classification training end to end", () => {
  it("trains several algorithms in parallel and ranks them on a leaderboard", async () => {
    const res = await create({
      datasetId: ids.iris,
      target: "species",
      task: "classification",
      models: [{ algorithm: "random_forest", params: { n_estimators: 50 } }, { algorithm: "logistic_regression" }, { algorithm: "decision_tree" }, { algorithm: "naive_bayes" }, { algorithm: "knn" }, { algorithm: "svm" }, { algorithm: "gradient_boosting", params: { n_estimators: 30 } }],
      seed: 7,
    });
    expect(res.status).toBe(202);
    expect(res.body.state).toBe("queued");
    const id = res.body.id;
    const { view, tasks } = await waitForTraining(etcd, id, isEnded, 90_000);
    expect(view.state).toBe("succeeded");
    expect(assertFinalRecord(tasks)).toEqual([]);
    await waitNothingRunning(base);
    const got = (await (await fetch(`${base}/v1/trainings/${id}`)).json()) as TrainingView;
    expect(got.models.map((m) => m.state)).toEqual(Array(7).fill("succeeded"));
    expect(got.leaderboard).toHaveLength(7);
    const acc = got.leaderboard.map((mid) => got.models.find((m) => m.modelId === mid)!.metrics.accuracy!);
    expect([...acc].sort((a, b) => b - a)).toEqual(acc);
    expect(acc[0]).toBeGreaterThan(0.9);
    expect(got.primaryMetric).toBe("accuracy");
    expect(new Set(got.models.map((m) => m.trainer)).size).toBe(2);
    // Each model is in the registry, its file on 3 stores.
    for (const m of got.models) {
      const raw = await etcd.get(`${MODELS_PREFIX}${m.modelId}`).string();
      const record = JSON.parse(raw!) as ModelRecord;
      expect(record.trainingId).toBe(id);
      expect(record.metrics.accuracy).toBe(m.metrics.accuracy);
      expect(record.object.replicas).toHaveLength(3);
      const node = cluster.node(record.object.replicas[0]!);
      const head = await stores.client(node.address).headObject({ key: record.object.key });
      expect(Number(head.object?.size)).toBe(record.sizeBytes);
    }
  });

  it("ranks a regression by the cross-validated R2 when cvFolds > 1", async () => {
    const res = await create({ datasetId: ids.diabetes, target: "progression", task: "regression", models: [{ algorithm: "linear_regression" }, { algorithm: "random_forest", params: { n_estimators: 30 } }, { algorithm: "knn" }], cvFolds: 3 });
    expect(res.status).toBe(202);
    const { view } = await waitForTraining(etcd, res.body.id, isEnded, 90_000);
    expect(view.state).toBe("succeeded");
    expect(view.primaryMetric).toBe("r2");
    const cv = view.leaderboard.map((mid) => view.models.find((m) => m.modelId === mid)!.cvMetrics!.r2!);
    expect(cv.every((c) => c.folds.length === 3)).toBe(true);
    const means = cv.map((c) => c.mean);
    expect([...means].sort((a, b) => b - a)).toEqual(means);
    expect(view.models.find((m) => m.algorithm === "linear_regression")!.metrics.r2).toBeGreaterThan(0.3);
    // The folds ran as tasks of their own, spread over the trainers, and their merged metrics
    // are the model's CV metrics in the view and in the registry.
    for (const m of view.models) {
      expect(m.folds!.map((f) => f.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
      expect(m.cvMetrics!.r2!.folds).toEqual(m.folds!.map((f) => f.metrics.r2));
      const record = JSON.parse((await etcd.get(`${MODELS_PREFIX}${m.modelId}`).string())!) as ModelRecord;
      expect(record.cvMetrics).toEqual(m.cvMetrics);
    }
    expect(new Set(view.models.flatMap((m) => m.folds!.map((f) => f.trainer))).size).toBe(2);
  });
});

describe("live progress", () => {
  it("streams progress at least every second and lets a reconnecting client resume without a gap", async () => {
    const res = await create({ datasetId: ids.synthetic, target: "label", task: "classification", models: [{ algorithm: "random_forest", params: { n_estimators: 300 } }, { algorithm: "naive_bayes" }] });
    const id = res.body.id;
    const url = `${base}/v1/trainings/${id}/events`;
    const first = await readSse(url, { stopAfter: 3 });
    expect(first.status).toBe(200);
    expect(first.events[0]!.event).toBe("snapshot");
    const rest = await readSse(url, { lastEventId: first.events.at(-1)!.id });
    expect(rest.status).toBe(200);
    const all = [...first.events, ...rest.events];
    const revisions = all.map((e) => Number(e.id));
    for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]!);
    const last = JSON.parse(all.at(-1)!.data) as TrainingView;
    expect(last.state).toBe("succeeded");
    // Compare with the record: the resumed stream ends at the final state of every model.
    const { view } = await readTraining(etcd, id);
    expect(last.models.map((m) => m.state)).toEqual(view.models.map((m) => m.state));
    // While the forest ran, its progress events came at least every second (plus scheduling slack).
    const forest = rest.events
      .map((e) => ({ at: e.at, m: (JSON.parse(e.data) as TrainingView).models[0]! }))
      .filter((e) => e.m.state === "running" && e.m.progress > 0 && e.m.progress < 0.95);
    expect(forest.length).toBeGreaterThan(3);
    const gaps = forest.slice(1).map((e, i) => e.at - forest[i]!.at);
    expect(Math.max(...gaps)).toBeLessThan(1500);
    const progress = forest.map((e) => e.m.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    // A reconnect after the end is told there is nothing more (204), so an EventSource stops.
    const after = await readSse(url, { lastEventId: all.at(-1)!.id });
    expect(after.status).toBe(204);
  });

  it("the gRPC WatchTraining resumes from a revision", async () => {
    const channel = createChannel(cluster.byRole("gateway")[0]!.address, undefined, CLIENT_OPTIONS);
    const client = createClient(trainingV1.TrainingServiceDefinition, channel);
    try {
      const { training } = await client.createTraining({ datasetId: ids.iris, target: "species", task: trainingV1.TaskType.TASK_TYPE_CLASSIFICATION, models: [{ algorithm: trainingV1.Algorithm.ALGORITHM_KNN }, { algorithm: trainingV1.Algorithm.ALGORITHM_NAIVE_BAYES }], cvFolds: 0 });
      const seen: number[] = [];
      for await (const ev of client.watchTraining({ trainingId: training!.id })) {
        seen.push(ev.revision);
        if (seen.length === 2) break;
      }
      const resumed: trainingV1.WatchTrainingResponse[] = [];
      for await (const ev of client.watchTraining({ trainingId: training!.id, fromRevision: seen[1] })) resumed.push(ev);
      expect(resumed.length).toBeGreaterThan(0);
      expect(resumed[0]!.revision).toBeGreaterThan(seen[1]!);
      expect(resumed.at(-1)!.training!.state).toBe(trainingV1.TrainingState.TRAINING_STATE_SUCCEEDED);
      const listed = await client.listTrainings({ datasetId: ids.iris });
      expect(listed.trainings.map((t) => t.id)).toContain(training!.id);
    } finally {
      channel.close();
    }
  });
});
