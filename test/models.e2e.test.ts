// The model registry through the user's doors (issue 6, points 1, 2 and 6), with real processes:
// four stores (R = 3), a scheduler whose leader repairs on a short timer, two trainers, a gateway.
// - after a training, every succeeded model is listed (filters by training and dataset) with the
//   training's metrics and its evaluation data;
// - a downloaded document loads back in @dml/ml and predicts the same as another download;
// - a download fails over when the first replica's store is killed (kill -9), and the leader
//   copies the model file to another store and updates the record;
// - delete removes the record and the bytes on every store; unknown ids 404, malformed ids 400.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, createChannel, createClient, Status } from "nice-grpc";
import { modelV1 } from "@dml/proto";
import { modelKey, type ModelRecord, type TrainingView } from "@dml/catalog";
import { ALGORITHMS, loadModel, parseModel } from "@dml/ml";
import { CLIENT_OPTIONS, StoreClients } from "@dml/runtime";
import { TestCluster, waitFor } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import { requestJson, uploadCsv, type ErrorBody } from "./helpers/datasets.js";
import { isEnded, postJson, waitForTraining } from "./helpers/trainings.js";

interface ModelView extends Omit<ModelRecord, "object"> {
  replicas: number;
}

let cluster: TestCluster;
let etcd: Etcd3;
let base: string;
const stores = new StoreClients();
const killed = new Set<string>();
let iris: { datasetId: string; training: TrainingView };
let diabetes: { datasetId: string; training: TrainingView };

/** The iris rows, typed as the dataset holds them, without the target. */
const irisRows = readFileSync("test/fixtures/iris.csv", "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => {
    const [a, b, c, d] = line.split(",").map(Number);
    return { "sepal length (cm)": a, "sepal width (cm)": b, "petal length (cm)": c, "petal width (cm)": d };
  });

async function train(file: string, name: string, body: Record<string, unknown>): Promise<{ datasetId: string; training: TrainingView }> {
  const datasetId = (await uploadCsv(base, readFileSync(file), { name })).id;
  const res = await postJson<TrainingView>(`${base}/v1/trainings`, { datasetId, ...body });
  expect(res.status).toBe(202);
  const { view } = await waitForTraining(etcd, res.body.id, isEnded, 120_000);
  expect(view.state).toBe("succeeded");
  return { datasetId, training: view };
}

async function record(id: string): Promise<ModelRecord | undefined> {
  const raw = await etcd.get(modelKey(id)).string();
  return raw ? (JSON.parse(raw) as ModelRecord) : undefined;
}

async function downloadBytes(id: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${base}/v1/models/${id}/download`, { signal: AbortSignal.timeout(30_000) });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const listModels = async (query = "") => (await requestJson<{ models: ModelView[] }>(`${base}/v1/models${query}`)).body.models;
const liveStores = () => cluster.byRole("store").filter((n) => !killed.has(n.id));

beforeAll(async () => {
  cluster = await TestCluster.start({ schedulers: 1, stores: 4, trainers: 2, gateways: 1, env: { DML_REPLICATION: "3", DML_REPAIR_INTERVAL_MS: "500" } });
  etcd = cluster.client();
  base = cluster.httpUrl;
  iris = await train("test/fixtures/iris.csv", "iris", {
    target: "species",
    task: "classification",
    models: [{ algorithm: "random_forest", params: { n_estimators: 20 } }, { algorithm: "logistic_regression" }, { algorithm: "knn" }],
    cvFolds: 3,
  });
  diabetes = await train("test/fixtures/diabetes.csv", "diabetes", { target: "progression", task: "regression", models: [{ algorithm: "linear_regression" }] });
});

afterAll(async () => {
  stores.close();
  await cluster?.stop();
});

describe("the registry after a training", () => {
  it("lists every succeeded model, filtered by training and by dataset, newest first", async () => {
    const all = await listModels();
    const ids = (models: ModelView[]) => models.map((m) => m.id).sort();
    const irisIds = iris.training.models.map((m) => m.modelId).sort();
    expect(ids(all)).toEqual([...irisIds, diabetes.training.models[0]!.modelId].sort());
    expect(all.map((m) => m.createdAt)).toEqual(all.map((m) => m.createdAt).sort().reverse());
    expect(ids(await listModels(`?trainingId=${iris.training.id}`))).toEqual(irisIds);
    expect(ids(await listModels(`?datasetId=${iris.datasetId}`))).toEqual(irisIds);
    expect(ids(await listModels(`?trainingId=${iris.training.id}&datasetId=${diabetes.datasetId}`))).toEqual([]);
    expect(ids(await listModels(`?datasetId=${diabetes.datasetId}`))).toEqual([diabetes.training.models[0]!.modelId]);
  });

  it("holds the training's metrics, lineage and evaluation data", async () => {
    for (const tm of iris.training.models) {
      const { status, body: m } = await requestJson<ModelView>(`${base}/v1/models/${tm.modelId}`);
      expect(status).toBe(200);
      expect(m).toMatchObject({ id: tm.modelId, algorithm: tm.algorithm, task: "classification", target: "species", trainingId: iris.training.id, datasetId: iris.datasetId, replicas: 3 });
      expect(m).not.toHaveProperty("object");
      expect(m.metrics).toEqual(tm.metrics);
      expect(m.cvMetrics).toEqual(tm.cvMetrics);
      expect(m.features.map((f) => f.name)).toEqual(Object.keys(irisRows[0]!));
      expect(m.classes).toEqual(["setosa", "versicolor", "virginica"]);
      expect(m.confusionMatrix!.labels).toEqual(["setosa", "versicolor", "virginica"]);
      expect(m.confusionMatrix!.rows.flat().reduce((a, b) => a + b, 0)).toBe(30);
      expect(m.rocCurve!.map((c) => c.positiveClass)).toEqual(["setosa", "versicolor", "virginica"]);
      for (const c of m.rocCurve!) expect(c.points.length).toBeGreaterThan(1);
      expect(Object.keys(m.featureImportance!).sort()).toEqual(Object.keys(irisRows[0]!).sort());
      expect(m.sizeBytes).toBeGreaterThan(0);
      expect(m.format).toMatch(/^dml-model/);
    }
    const [reg] = await listModels(`?trainingId=${diabetes.training.id}`);
    expect(reg).toMatchObject({ task: "regression", metrics: diabetes.training.models[0]!.metrics });
    expect(reg!.confusionMatrix).toBeUndefined();
    expect(reg!.classes).toBeUndefined();
  });

  it("answers the same over gRPC", async () => {
    const channel = createChannel(cluster.byRole("gateway")[0]!.address, undefined, CLIENT_OPTIONS);
    try {
      const client = createClient(modelV1.ModelServiceDefinition, channel);
      const listed = await client.listModels({ trainingId: iris.training.id });
      expect(listed.models.map((m) => m.id).sort()).toEqual(iris.training.models.map((m) => m.modelId).sort());
      const id = iris.training.models[0]!.modelId;
      const { model } = await client.getModel({ modelId: id });
      expect(model!.metrics).toEqual(iris.training.models[0]!.metrics);
      expect(model!.confusionMatrix!.labels).toEqual(["setosa", "versicolor", "virginica"]);
      const chunks: Uint8Array[] = [];
      for await (const msg of client.downloadModel({ modelId: id })) chunks.push(msg.chunk);
      expect(Buffer.concat(chunks).equals((await downloadBytes(id)).bytes)).toBe(true);
      await expect(client.getModel({ modelId: "m-unknown" })).rejects.toMatchObject({ code: Status.NOT_FOUND });
      await expect(client.getModel({ modelId: "bad id" })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
      await expect(client.listModels({ trainingId: "bad/id" })).rejects.toBeInstanceOf(ClientError);
    } finally {
      channel.close();
    }
  });
});

describe("downloads", () => {
  it("sends a document that loads back and predicts like a second download, with the registry's metrics", async () => {
    for (const tm of iris.training.models) {
      const first = await downloadBytes(tm.modelId);
      expect(first.status).toBe(200);
      expect(first.headers.get("content-type")).toBe("application/json");
      expect(first.headers.get("content-disposition")).toBe(`attachment; filename="${tm.modelId}.json"`);
      const rec = (await record(tm.modelId))!;
      expect(Number(first.headers.get("content-length"))).toBe(rec.sizeBytes);
      expect(first.bytes.length).toBe(rec.sizeBytes);
      const second = await downloadBytes(tm.modelId);
      const doc = parseModel(first.bytes);
      expect(doc.metrics).toEqual(rec.metrics);
      const a = loadModel(doc, ALGORITHMS).predict(irisRows);
      const b = loadModel(parseModel(second.bytes), ALGORITHMS).predict(irisRows);
      expect(a.predictions).toHaveLength(150);
      expect(a).toEqual(b);
      const accuracy = a.predictions.filter((p, i) => p === ["setosa", "versicolor", "virginica"][Math.floor(i / 50)]).length / 150;
      expect(accuracy).toBeGreaterThan(0.9);
    }
  });

  it("fails over to another replica when the first one's store is killed, and the leader re-replicates the file", async () => {
    const id = iris.training.models[0]!.modelId;
    const before = (await record(id))!;
    const expected = (await downloadBytes(id)).bytes;
    const victim = before.object.replicas[0]!;
    killed.add(victim);
    await cluster.node(victim).kill("SIGKILL");
    // Straight after the kill the gateway still lists the store as up: it must try it and move on.
    const after = await downloadBytes(id);
    expect(after.status).toBe(200);
    expect(after.bytes.equals(expected)).toBe(true);
    const gatewayLog = join(cluster.dir, `${cluster.byRole("gateway")[0]!.id}.log`);
    await waitFor(() => readFileSync(gatewayLog, "utf8").split("\n").some((l) => l.includes("model replica read failed") && l.includes(`"store":"${victim}"`)), {
      timeoutMs: 5_000,
      message: "the gateway's log of the failed first replica",
    });
    // Every model the dead store held gets back to 3 live replicas, and the record says where.
    const live = new Set(liveStores().map((n) => n.id));
    const held = (await listModels()).map((m) => m.id);
    for (const modelId of held) {
      const rec = await waitFor(
        async () => {
          const r = await record(modelId);
          return r && r.object.replicas.length === 3 && new Set(r.object.replicas).size === 3 && r.object.replicas.every((s) => live.has(s)) ? r : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, message: `model ${modelId} back on 3 live stores` },
      );
      for (const storeId of rec.object.replicas) {
        const head = await stores.headObject(cluster.node(storeId).address, rec.object.key, { verify: true });
        expect(Number(head.object?.size)).toBe(rec.sizeBytes);
      }
    }
    const view = (await requestJson<ModelView>(`${base}/v1/models/${id}`)).body;
    expect(view.replicas).toBe(3);
    expect((await downloadBytes(id)).bytes.equals(expected)).toBe(true);
  });
});

describe("dml models", () => {
  const CLI = "packages/cli/dist/main.js";
  const dml = async (...args: string[]) => (await promisify(execFile)(process.execPath, [CLI, "models", ...args, "--gateway", base])).stdout;

  it("lists, shows, downloads (never leaving a partial file) and deletes models", async () => {
    const id = iris.training.models[0]!.modelId;
    const table = await dml("ls", "--training", iris.training.id);
    expect(table.split("\n")[0]).toMatch(/^ID\s+ALGORITHM\s+TASK\s+METRIC/);
    expect(table).toContain(id);
    expect(table).not.toContain(diabetes.training.models[0]!.modelId);
    const shown = await dml("get", id);
    expect(shown).toContain("confusion matrix");
    expect(shown).toContain("ROC AUC");
    expect(JSON.parse(await dml("get", id, "--json"))).toMatchObject({ id, trainingId: iris.training.id });
    const dir = mkdtempSync(join(tmpdir(), "dml-models-"));
    const file = join(dir, "model.json");
    await dml("download", id, "-o", file);
    expect(readFileSync(file).equals((await downloadBytes(id)).bytes)).toBe(true);
    expect(existsSync(`${file}.part`)).toBe(false);
    const missing = join(dir, "missing.json");
    await expect(dml("download", "m-0000000000000000", "-o", missing)).rejects.toMatchObject({ code: 1 });
    expect(existsSync(missing) || existsSync(`${missing}.part`)).toBe(false);
    const removed = iris.training.models[2]!.modelId;
    expect(await dml("rm", removed)).toContain(`deleted ${removed}`);
    expect((await requestJson(`${base}/v1/models/${removed}`)).status).toBe(404);
  });
});

describe("delete", () => {
  it("removes the record and the bytes on every store", async () => {
    const id = iris.training.models[1]!.modelId;
    const rec = (await record(id))!;
    const del = await fetch(`${base}/v1/models/${id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(await record(id)).toBeUndefined();
    expect((await requestJson(`${base}/v1/models/${id}`)).status).toBe(404);
    expect((await listModels()).map((m) => m.id)).not.toContain(id);
    for (const storeId of rec.object.replicas) {
      const head = await stores.headObject(cluster.node(storeId).address, rec.object.key);
      expect(head.exists, `${rec.object.key} on ${storeId}`).toBe(false);
    }
    expect((await fetch(`${base}/v1/models/${id}`, { method: "DELETE" })).status).toBe(404);
    expect((await downloadBytes(id)).status).toBe(404);
  });
});

describe("ids", () => {
  it("answers 404 for unknown ids and 400 for malformed ones", async () => {
    const cases: Array<[string, string, number]> = [
      ["GET", "/v1/models/m-0000000000000000", 404],
      ["GET", "/v1/models/m-0000000000000000/download", 404],
      ["DELETE", "/v1/models/m-0000000000000000", 404],
      ["GET", "/v1/models/bad.id", 400],
      ["GET", "/v1/models/bad.id/download", 400],
      ["DELETE", "/v1/models/bad.id", 400],
      ["GET", `/v1/models/${"x".repeat(65)}`, 400],
      ["GET", "/v1/models?trainingId=bad.id", 400],
      ["GET", "/v1/models?datasetId=../x", 400],
    ];
    for (const [method, path, status] of cases) {
      const res = await requestJson<ErrorBody>(`${base}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(res.body.error.code).toBe(status === 404 ? "NOT_FOUND" : "INVALID_ARGUMENT");
    }
  });
});
