// Online prediction end to end (issue 6, point 3): REST and gRPC predict on a real cluster, rows
// validated with a 400 naming the row and column, predictions identical to the model document
// loaded locally, the model kept hot on one trainer, and failover when that trainer is paused or
// killed.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, type Channel } from "nice-grpc";
import { modelV1, trainerV1 } from "@dml/proto";
import { modelKey, toProtoChecksum, type ModelRecord, type TrainingView } from "@dml/catalog";
import { ALGORITHMS, loadModel, parseModel, type Model } from "@dml/ml";
import { CLIENT_OPTIONS, StoreClients } from "@dml/runtime";
import { TestCluster, waitFor } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import { uploadCsv } from "./helpers/datasets.js";
import { isEnded, postJson, waitForTraining } from "./helpers/trainings.js";

interface Prediction {
  predictions: Array<string | number | boolean | null>;
  probabilities?: Array<Record<string, number>>;
}
interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const CLI = "packages/cli/dist/main.js";
const IRIS_CLASSES = ["setosa", "versicolor", "virginica"];

let cluster: TestCluster;
let etcd: Etcd3;
let base: string;
let irisModel: string;
let regressionModel: string;
let irisRows: Array<Record<string, number | string>>;
const stores = new StoreClients();
const channels: Channel[] = [];

function csvRows(path: string): Array<Record<string, number | string>> {
  const [header, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  const names = header!.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i]!, Number.isFinite(Number(v)) && v !== "" ? Number(v) : v])));
}

async function trainOne(datasetId: string, target: string, task: string, algorithm: string, params?: Record<string, unknown>): Promise<string> {
  const res = await postJson<TrainingView>(`${base}/v1/trainings`, { datasetId, target, task, models: [{ algorithm, params }], seed: 3 });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const { view } = await waitForTraining(etcd, res.body.id, isEnded, 90_000, `training ${algorithm} ended`);
  expect(view.state, JSON.stringify(view.models)).toBe("succeeded");
  return view.models[0]!.modelId;
}

const predict = (modelId: string, body: unknown) => postJson<Prediction & ErrorBody>(`${base}/v1/models/${modelId}/predict`, body);

async function localModel(modelId: string): Promise<Model> {
  const record = JSON.parse((await etcd.get(modelKey(modelId)).string())!) as ModelRecord;
  const store = cluster.node(record.object.replicas[0]!);
  const bytes = await stores.getObject(store.address, record.object.key, toProtoChecksum(record.object.checksum));
  return loadModel(parseModel(bytes), ALGORITHMS);
}

function trainerClient(address: string): trainerV1.TrainerServiceClient {
  const channel = createChannel(address, undefined, CLIENT_OPTIONS);
  channels.push(channel);
  return createClient(trainerV1.TrainerServiceDefinition, channel);
}

/** The trainers (by id) whose cache holds `modelId`. */
async function trainersCaching(modelId: string): Promise<string[]> {
  const holders: string[] = [];
  for (const t of cluster.byRole("trainer")) {
    if (t.proc.exitCode !== null || t.proc.signalCode !== null) continue;
    const status = await trainerClient(t.address).getTrainerStatus({});
    if (status.cachedModels.some((m) => m.modelId === modelId)) holders.push(status.nodeId);
  }
  return holders;
}

beforeAll(async () => {
  cluster = await TestCluster.start({ schedulers: 1, stores: 3, trainers: 2, gateways: 1 });
  etcd = cluster.client();
  base = cluster.httpUrl;
  const iris = await uploadCsv(base, readFileSync("test/fixtures/iris.csv"), { name: "iris" });
  const diabetes = await uploadCsv(base, readFileSync("test/fixtures/diabetes.csv"), { name: "diabetes" });
  irisRows = csvRows("test/fixtures/iris.csv");
  [irisModel, regressionModel] = await Promise.all([
    trainOne(iris.id, "species", "classification", "random_forest", { n_estimators: 25 }),
    trainOne(diabetes.id, "progression", "regression", "linear_regression"),
  ]);
});

afterAll(async () => {
  for (const c of channels) c.close();
  stores.close();
  await cluster?.stop();
});

describe("POST /v1/models/{id}/predict", () => {
  it("predicts iris classes with probabilities that sum to 1, as the downloaded document does", async () => {
    // Every 10th row, with the target column left in: keys that are not features are ignored.
    const rows = irisRows.filter((_, i) => i % 10 === 0);
    const res = await predict(irisModel, { rows });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.predictions).toHaveLength(rows.length);
    for (const p of res.body.predictions) expect(IRIS_CLASSES).toContain(p);
    expect(res.body.probabilities).toHaveLength(rows.length);
    for (const probs of res.body.probabilities!) {
      expect(Object.keys(probs).sort()).toEqual(IRIS_CLASSES);
      expect(Object.values(probs).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
    const local = (await localModel(irisModel)).predict(rows);
    expect(res.body.predictions).toEqual(local.predictions);
    expect(res.body.probabilities).toEqual(local.probabilities);
    // A decent forest gets most of its own training rows right.
    const correct = res.body.predictions.filter((p, i) => p === rows[i]!["species"]).length;
    expect(correct).toBeGreaterThanOrEqual(rows.length - 2);
  });

  it("predicts numbers without probabilities for a regression model", async () => {
    const rows = csvRows("test/fixtures/diabetes.csv").slice(0, 7);
    const res = await predict(regressionModel, { rows });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.probabilities).toBeUndefined();
    const local = (await localModel(regressionModel)).predict(rows);
    expect(res.body.predictions).toEqual(local.predictions);
    for (const p of res.body.predictions) expect(typeof p).toBe("number");
  });

  it("answers through gRPC (ModelService.Predict on the gateway) exactly as through REST", async () => {
    const gateway = cluster.byRole("gateway")[0]!;
    const channel = createChannel(gateway.address, undefined, CLIENT_OPTIONS);
    channels.push(channel);
    const models = createClient(modelV1.ModelServiceDefinition, channel);
    const rows = irisRows.slice(45, 55);
    const [viaGrpc, viaRest] = await Promise.all([models.predict({ modelId: irisModel, rows }), predict(irisModel, { rows })]);
    expect(viaGrpc.predictions).toEqual(viaRest.body.predictions);
    expect(viaGrpc.probabilities.map((p) => p.probabilities)).toEqual(viaRest.body.probabilities);
  });

  const badRows: Array<[string, (row: Record<string, unknown>) => Record<string, unknown>, RegExp[]]> = [
    ["a missing column", (r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== "petal width (cm)")), [/row 2/, /petal width \(cm\)/]],
    ["a value of the wrong type", (r) => ({ ...r, "sepal width (cm)": "wide" }), [/row 2/, /sepal width \(cm\)/, /number/]],
    [
      "an unknown (misspelt) column",
      (r) => {
        const { "petal length (cm)": v, ...rest } = r;
        return { ...rest, "petal lenght (cm)": v };
      },
      [/row 2/, /petal length \(cm\)/, /petal lenght \(cm\)/],
    ],
  ];
  for (const [what, spoil, messages] of badRows) {
    it(`answers 400 naming the row and column for ${what}`, async () => {
      const rows: Array<Record<string, unknown>> = irisRows.slice(0, 4).map((r) => ({ ...r }));
      rows[2] = spoil(rows[2]!);
      const res = await predict(irisModel, { rows });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe("INVALID_ARGUMENT");
      for (const m of messages) expect(res.body.error.message).toMatch(m);
    });
  }

  it("answers 400 for bodies that are not {rows: [...]} of 1 to 10000 objects", async () => {
    const raw = await fetch(`${base}/v1/models/${irisModel}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: "{rows: oops" });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as ErrorBody).error.message).toMatch(/not valid JSON/);
    for (const body of [{}, { rows: {} }, { rows: [] }, { rows: [1] }, { rows: Array.from({ length: 10_001 }, () => irisRows[0]) }]) {
      const res = await predict(irisModel, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe("INVALID_ARGUMENT");
    }
  });

  it("answers 404 for an unknown model and 400 for a malformed id", async () => {
    const res = await predict("no-such-model", { rows: [irisRows[0]] });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
    expect(res.body.error.message).toMatch(/no-such-model/);
    expect((await predict("bad.id", { rows: [irisRows[0]] })).status).toBe(400);
  });
});

describe("dml predict", () => {
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, "predict", ...args, "--gateway", base]).catch((err: { code: number; stdout: string; stderr: string }) => err);

  it("predicts a CSV file sent in chunks of 1000 rows, as the API does row by row", async () => {
    const csv = readFileSync("test/fixtures/iris.csv", "utf8").trim().split("\n");
    const lines = [csv[0]!, ...Array.from({ length: 1200 }, (_, i) => csv[1 + (i % 150)]!)];
    const file = join(mkdtempSync(join(tmpdir(), "dml-predict-")), "rows.csv");
    writeFileSync(file, lines.join("\n") + "\n");
    const { stdout } = await cli(irisModel, "--file", file, "--json");
    const out = JSON.parse(stdout) as Prediction;
    expect(out.predictions).toHaveLength(1200);
    const api = await predict(irisModel, { rows: irisRows });
    expect(out.predictions.slice(150, 300)).toEqual(api.body.predictions);
    expect(out.probabilities!.slice(1050, 1200)).toEqual(api.body.probabilities);

    // A bad cell in the second chunk is named by its row in the file.
    lines[1 + 1100] = lines[1 + 1100]!.replace(/^[^,]+/, "tall");
    writeFileSync(file, lines.join("\n") + "\n");
    const bad = (await cli(irisModel, "--file", file)) as { code: number; stderr: string };
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/row 1100/);
    expect(bad.stderr).toMatch(/sepal length \(cm\)/);
  });

  it("predicts one --row and prints the prediction with its most likely classes", async () => {
    const { stdout } = await cli(irisModel, "--row", JSON.stringify(irisRows[0]));
    const [header, line] = stdout.trim().split("\n");
    expect(header).toMatch(/row\s+prediction\s+probabilities/);
    expect(line).toMatch(/^0\s+setosa\s+setosa \d\.\d{3}/);
  });
});

describe("serving on the trainers", () => {
  it("answers from the other trainer soon after the serving one is paused (SIGSTOP), not after the attempt timeout", async () => {
    const rows = csvRows("test/fixtures/diabetes.csv").slice(0, 3);
    const expected = (await predict(regressionModel, { rows })).body.predictions;
    const [holder] = await trainersCaching(regressionModel);
    const paused = cluster.node(holder!);
    paused.pause();
    try {
      const started = Date.now();
      const res = await predict(regressionModel, { rows });
      const took = Date.now() - started;
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.predictions).toEqual(expected);
      // Hedged after 1 s (plus loading the model on the other trainer); the attempt timeout is 15 s.
      expect(took).toBeLessThan(10_000);
    } finally {
      paused.resume();
    }
  });

  it("trainers drop a model whose registry record is deleted without them being asked (a gateway died mid-delete)", async () => {
    const rows = csvRows("test/fixtures/diabetes.csv").slice(0, 2);
    expect((await predict(regressionModel, { rows })).status).toBe(200);
    expect((await trainersCaching(regressionModel)).length).toBeGreaterThan(0);
    // The record goes, as the first step of a delete; no EvictModel call follows.
    await etcd.delete().key(modelKey(regressionModel));
    await waitFor(async () => (await trainersCaching(regressionModel)).length === 0, {
      timeoutMs: 10_000,
      message: `every trainer dropped the deleted model ${regressionModel}`,
    });
    expect((await predict(regressionModel, { rows })).status).toBe(404);
  });

  it("keeps a model hot on one trainer, and fails over when that trainer is killed", async () => {
    const row = { rows: [irisRows[120]] };
    for (let i = 0; i < 20; i++) expect((await predict(irisModel, row)).status).toBe(200);
    const holders = await trainersCaching(irisModel);
    expect(holders).toHaveLength(1);
    const status = await trainerClient(cluster.node(holders[0]!).address).getTrainerStatus({});
    const cached = status.cachedModels.find((m) => m.modelId === irisModel)!;
    expect(cached.hits).toBeGreaterThanOrEqual(20);
    expect(cached.bytes).toBeGreaterThan(0);
    expect(status.cacheCapacityBytes).toBe(512 * 1024 ** 2);

    const expected = (await predict(irisModel, row)).body.predictions;
    await cluster.node(holders[0]!).kill("SIGKILL");
    // At once (the dead trainer is still in the membership until its lease expires) and after.
    const res = await predict(irisModel, row);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.predictions).toEqual(expected);
    expect(await trainersCaching(irisModel)).toHaveLength(1);
    for (let i = 0; i < 10; i++) expect((await predict(irisModel, row)).status).toBe(200);
  });

  it("drops a model from a trainer's cache on EvictModel", async () => {
    const [holder] = await trainersCaching(irisModel);
    const client = trainerClient(cluster.node(holder!).address);
    expect((await client.evictModel({ modelId: irisModel })).evicted).toBe(true);
    expect((await client.evictModel({ modelId: irisModel })).evicted).toBe(false);
    expect((await client.predict({ modelId: irisModel, rows: [irisRows[0]!] })).cacheHit).toBe(false);
    expect((await client.predict({ modelId: irisModel, rows: [irisRows[0]!] })).cacheHit).toBe(true);
  });
});
