// Smoke: a training recorded in etcd runs on real trainers and ends with a leaderboard.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newTaskRecord, TrainingRepository, type ModelSpecJson, type TrainingSpec } from "@dml/catalog";
import { TestCluster } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import { uploadCsv } from "./helpers/datasets.js";
import { assertFinalRecord, waitForTraining, isEnded } from "./helpers/trainings.js";

let cluster: TestCluster;
let etcd: Etcd3;
let datasetId: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ schedulers: 1, stores: 1, trainers: 2, gateways: 1, env: { DML_TRAINER_SLOTS: "1" } });
  etcd = cluster.client();
  const ds = await uploadCsv(cluster.httpUrl, readFileSync("test/fixtures/iris.csv"), { name: "iris" });
  datasetId = ds.id;
});

afterAll(async () => {
  await cluster?.stop();
});

describe("training smoke", () => {
  it("runs every model on the trainers", async () => {
    const models: ModelSpecJson[] = ["random_forest", "knn", "naive_bayes"].map((algorithm, i) => ({ modelId: `m-smoke-${i}`, algorithm, params: {} }));
    const spec: TrainingSpec = { id: "t-smoke", datasetId, target: "species", task: "classification", models, testFraction: 0.2, cvFolds: 0, seed: 42, createdAt: new Date().toISOString() };
    await new TrainingRepository(etcd).create(spec, models.map((m, i) => newTaskRecord(spec.id, m, i)));
    const { view, tasks } = await waitForTraining(etcd, spec.id, isEnded, 60_000);
    expect(view.state).toBe("succeeded");
    expect(assertFinalRecord(tasks)).toEqual([]);
    expect(view.leaderboard).toHaveLength(3);
    expect(view.models.every((m) => (m.metrics.accuracy ?? 0) > 0.8)).toBe(true);
    expect(new Set(view.models.map((m) => m.trainer)).size).toBe(2);
  });
});
