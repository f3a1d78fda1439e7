// Batch predictions end to end (issue 6, point 4), with real processes: a prediction over a stored
// dataset with several batches succeeds with metrics; its results come back in dataset order (paged
// across batch boundaries, as CSV, over gRPC and through the CLI) and equal the model document's
// own predictions; bad requests are refused naming the problem; and a prediction survives kill -9
// of the trainer running it.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, ClientError, Status, type Channel } from "nice-grpc";
import { predictionV1 } from "@dml/proto";
import { modelKey, toProtoChecksum, type ModelRecord, type PredictionView, type TrainingView } from "@dml/catalog";
import { parseCsv } from "@dml/data";
import { ALGORITHMS, loadModel, parseModel, type Model } from "@dml/ml";
import { CLIENT_OPTIONS, StoreClients } from "@dml/runtime";
import { TestCluster, waitFor } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import { requestJson, uploadCsv, type ErrorBody } from "./helpers/datasets.js";
import { isEnded, postJson, syntheticCsv, waitForTraining } from "./helpers/trainings.js";

/** The REST shape of a batch prediction is the catalog's view. */
type Prediction = PredictionView;
interface ResultRow {
  row: number;
  prediction: string | number | boolean | null;
  probabilities?: Record<string, number>;
}
interface ResultsPage {
  rows: ResultRow[];
  total: number;
}

const LEASE_TTL = 3;
const IRIS_CLASSES = ["setosa", "versicolor", "virginica"];
const CLI = join(process.cwd(), "packages", "cli", "dist", "main.js");

let cluster: TestCluster;
let etcd: Etcd3;
let base: string;
let iris: { id: string; batches: number };
let irisModel: string;
let irisText: string;
let done: Prediction;
let full: ResultRow[];
const stores = new StoreClients();
const channels: Channel[] = [];
const scratch = mkdtempSync(join(tmpdir(), "dml-predictions-"));

async function trainOne(datasetId: string, target: string, params: Record<string, unknown>): Promise<string> {
  const res = await postJson<TrainingView>(`${base}/v1/trainings`, { datasetId, target, task: "classification", models: [{ algorithm: "random_forest", params }], seed: 5 });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const { view } = await waitForTraining(etcd, res.body.id, isEnded, 120_000, "training ended");
  expect(view.state, JSON.stringify(view.models)).toBe("succeeded");
  return view.models[0]!.modelId;
}

const getPrediction = (id: string) => requestJson<Prediction & ErrorBody>(`${base}/v1/predictions/${id}`);

async function createPrediction(modelId: string, datasetId: string): Promise<Prediction> {
  const res = await postJson<Prediction>(`${base}/v1/predictions`, { modelId, datasetId });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}

async function waitForPrediction(id: string, until: (p: Prediction) => boolean, timeoutMs: number, what: string): Promise<Prediction> {
  let last: Prediction | undefined;
  try {
    return await waitFor(
      async () => {
        last = (await getPrediction(id)).body;
        return until(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 100, message: what },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${JSON.stringify(last)}`);
  }
}

const ended = (p: Prediction) => p.state === "succeeded" || p.state === "failed";
const results = (id: string, query: string) => requestJson<ResultsPage & ErrorBody>(`${base}/v1/predictions/${id}/results${query}`);

async function localModel(modelId: string): Promise<Model> {
  const record = JSON.parse((await etcd.get(modelKey(modelId)).string())!) as ModelRecord;
  const store = cluster.node(record.object.replicas[0]!);
  const bytes = await stores.getObject(store.address, record.object.key, toProtoChecksum(record.object.checksum));
  return loadModel(parseModel(bytes), ALGORITHMS);
}

/** Rows of a CSV, numbers as numbers (the iris features). */
function csvRows(text: string): Array<Record<string, number | string>> {
  const { header, records } = parseCsv(text);
  return records.map(({ fields }) => Object.fromEntries(fields.map((v, i) => [header[i]!, v !== "" && Number.isFinite(Number(v)) ? Number(v) : v])));
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args, "--gateway", base], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  cluster = await TestCluster.start({ schedulers: 2, stores: 3, trainers: 2, gateways: 1, leaseTtl: LEASE_TTL });
  etcd = cluster.client();
  base = cluster.httpUrl;
  irisText = readFileSync("test/fixtures/iris.csv", "utf8");
  // 40 rows per batch: 4 batches, so results span several result objects.
  iris = await uploadCsv(base, irisText, { name: "iris", rowsPerBatch: "40" });
  expect(iris.batches).toBe(4);
  irisModel = await trainOne(iris.id, "species", { n_estimators: 25 });
  const created = await createPrediction(irisModel, iris.id);
  done = await waitForPrediction(created.id, ended, 60_000, "iris prediction ended");
  full = (await results(done.id, "?offset=0&limit=10000")).body.rows;
});

afterAll(async () => {
  for (const c of channels) c.close();
  stores.close();
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("batch prediction over iris", () => {
  it("succeeds with every row predicted and metrics, since iris holds the target", async () => {
    expect(done, JSON.stringify(done)).toMatchObject({ modelId: irisModel, datasetId: iris.id, state: "succeeded", progress: 1, rows: 150, attempts: 1 });
    expect(done.id).toMatch(/^p-[0-9a-f]{16}$/);
    expect(done.metrics!["accuracy"]).toBeGreaterThan(0.9);
    expect(done.trainer).toMatch(/^trainer-/);
    expect(done.finishedAt).toBeDefined();
    const listed = await requestJson<{ predictions: Prediction[] }>(`${base}/v1/predictions?modelId=${irisModel}`);
    expect(listed.body.predictions.map((p) => p.id)).toContain(done.id);
    expect((await requestJson<{ predictions: Prediction[] }>(`${base}/v1/predictions?datasetId=ds_other`)).body.predictions).toEqual([]);
  });

  it("returns results in dataset order, and pages across batch boundaries", async () => {
    expect(full.map((r) => r.row)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    for (const r of full) {
      expect(IRIS_CLASSES).toContain(r.prediction);
      expect(Object.keys(r.probabilities!).sort()).toEqual(IRIS_CLASSES);
    }
    const page = await results(done.id, "?offset=30&limit=20");
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ rows: full.slice(30, 50), total: 150 });
    expect((await results(done.id, "")).body.rows).toEqual(full.slice(0, 100));
    expect((await results(done.id, "?offset=145&limit=100")).body.rows).toEqual(full.slice(145));
    expect((await results(done.id, "?offset=500")).body).toEqual({ rows: [], total: 150 });
    for (const bad of ["?limit=0", "?limit=10001", "?offset=-1", "?format=xml"]) expect((await results(done.id, bad)).status, bad).toBe(400);
  });

  it("downloads the whole result as CSV", async () => {
    const res = await fetch(`${base}/v1/predictions/${done.id}/results?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toContain(`${done.id}.csv`);
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines).toHaveLength(151);
    expect(lines[0]).toBe(`row,prediction,${IRIS_CLASSES.map((c) => `probability_${c}`).join(",")}`);
    const r = full[42]!;
    expect(lines[43]).toBe([r.row, r.prediction, ...IRIS_CLASSES.map((c) => String(r.probabilities![c]))].join(","));
  });

  it("equals the predictions of the model document loaded locally", async () => {
    const local = (await localModel(irisModel)).predict(csvRows(irisText));
    expect(full.map((r) => r.prediction)).toEqual(local.predictions);
    full.forEach((r, i) => {
      for (const c of IRIS_CLASSES) expect(Math.abs(r.probabilities![c]! - local.probabilities![i]![c]!), `row ${i} ${c}`).toBeLessThanOrEqual(1e-12);
    });
  });

  it("equals the online predictions of the same rows (POST /v1/models/{id}/predict)", async () => {
    const online = await requestJson<{ predictions: unknown[]; probabilities: Array<Record<string, number>> }>(`${base}/v1/models/${irisModel}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: csvRows(irisText) }),
    });
    expect(online.status).toBe(200);
    expect(full.map((r) => r.prediction)).toEqual(online.body.predictions);
    full.forEach((r, i) => {
      for (const c of IRIS_CLASSES) expect(Math.abs(r.probabilities![c]! - online.body.probabilities[i]![c]!), `row ${i} ${c}`).toBeLessThanOrEqual(1e-12);
    });
  });

  it("refuses bad requests naming the problem", async () => {
    // iris without one of the model's feature columns.
    const [header, ...lines] = irisText.trimEnd().split("\n");
    const drop = header!.split(",").indexOf("petal width (cm)");
    const cut = (line: string) => line.split(",").filter((_, j) => j !== drop).join(",");
    const lacking = await uploadCsv(base, [header!, ...lines].map(cut).join("\n") + "\n", { name: "iris-lacking" });
    const missing = await postJson<ErrorBody>(`${base}/v1/predictions`, { modelId: irisModel, datasetId: lacking.id });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "INVALID_ARGUMENT", details: { column: "petal width (cm)" } });
    expect(missing.body.error.message).toContain("petal width (cm)");

    const unknownModel = await postJson<ErrorBody>(`${base}/v1/predictions`, { modelId: "m-nope", datasetId: iris.id });
    expect(unknownModel.status).toBe(400);
    expect(unknownModel.body.error.details).toMatchObject({ field: "modelId" });
    const unknownDataset = await postJson<ErrorBody>(`${base}/v1/predictions`, { modelId: irisModel, datasetId: "ds_nope" });
    expect(unknownDataset.status).toBe(400);
    expect(unknownDataset.body.error.details).toMatchObject({ field: "datasetId" });
    expect((await postJson(`${base}/v1/predictions`, { modelId: irisModel })).status).toBe(400);
    expect((await getPrediction("p-nope")).status).toBe(404);
    expect((await results("p-nope", "")).status).toBe(404);
    expect((await getPrediction("bad id!")).status).toBe(400);
  });
});

describe("gRPC dml.prediction.v1.PredictionService", () => {
  it("creates, gets, lists, pages and downloads like REST", async () => {
    const channel = createChannel(cluster.byRole("gateway")[0]!.address, undefined, CLIENT_OPTIONS);
    channels.push(channel);
    const client = createClient(predictionV1.PredictionServiceDefinition, channel);
    const { PredictionState } = predictionV1;

    const got = await client.getPrediction({ predictionId: done.id });
    expect(got.prediction).toMatchObject({ id: done.id, state: PredictionState.PREDICTION_STATE_SUCCEEDED, rows: 150, attempts: 1, trainer: done.trainer });
    expect(got.prediction!.metrics).toEqual(done.metrics);
    const listed = await client.listPredictions({ modelId: irisModel, datasetId: "" });
    expect(listed.predictions.map((p) => p.id)).toContain(done.id);

    const page = await client.getPredictionResults({ predictionId: done.id, offset: 30, limit: 20 });
    expect(page.total).toBe(150);
    expect(page.rows.map((r) => ({ row: r.row, prediction: r.prediction, probabilities: r.probabilities }))).toEqual(full.slice(30, 50));
    expect((await client.getPredictionResults({ predictionId: done.id, offset: 0, limit: 0 })).rows).toHaveLength(100);

    let csv = "";
    for await (const { chunk } of client.downloadPredictionResults({ predictionId: done.id })) csv += Buffer.from(chunk).toString();
    expect(csv).toBe(await (await fetch(`${base}/v1/predictions/${done.id}/results?format=csv`)).text());

    const created = await client.createPrediction({ modelId: irisModel, datasetId: iris.id });
    expect(created.prediction).toMatchObject({ modelId: irisModel, datasetId: iris.id, state: PredictionState.PREDICTION_STATE_QUEUED, rows: 0 });
    const bad = await client.createPrediction({ modelId: irisModel, datasetId: "ds_nope" }).catch((e: unknown) => e);
    expect((bad as ClientError).code).toBe(Status.INVALID_ARGUMENT);
    const missing = await client.getPrediction({ predictionId: "p-nope" }).catch((e: unknown) => e);
    expect((missing as ClientError).code).toBe(Status.NOT_FOUND);
    const overLimit = await client.getPredictionResults({ predictionId: done.id, offset: 0, limit: 10_001 }).catch((e: unknown) => e);
    expect((overLimit as ClientError).code).toBe(Status.INVALID_ARGUMENT);
    await waitForPrediction(created.prediction!.id, ended, 60_000, "gRPC-created prediction ended");
  });
});

describe("dml predictions", () => {
  it("creates with --watch, lists, shows results and downloads the CSV", async () => {
    const created = await runCli(["predictions", "create", "--model", irisModel, "--dataset", iris.id, "--watch", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const p = JSON.parse(created.stdout) as Prediction;
    expect(p).toMatchObject({ state: "succeeded", rows: 150 });
    expect(created.stderr).toContain(`prediction ${p.id}`);

    const ls = await runCli(["predictions", "ls", "--model", irisModel]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toContain(p.id);

    const page = await runCli(["predictions", "results", p.id, "--offset", "30", "--limit", "20", "--json"]);
    expect(page.code, page.stderr).toBe(0);
    expect(JSON.parse(page.stdout)).toEqual({ rows: full.slice(30, 50), total: 150 });
    const table = await runCli(["predictions", "results", p.id, "--limit", "3"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^ROW\s+PREDICTION\s+P\(setosa\)/);

    const file = join(scratch, "iris-predictions.csv");
    const dl = await runCli(["predictions", "download", p.id, "-o", file]);
    expect(dl.code, dl.stderr).toBe(0);
    expect(existsSync(`${file}.part`)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(await (await fetch(`${base}/v1/predictions/${done.id}/results?format=csv`)).text());

    const unknown = await runCli(["predictions", "get", "p-nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("NOT_FOUND");
  });
});

describe("batch prediction under failure", () => {
  it("survives kill -9 of the trainer running it", async () => {
    // A 200-tree forest over 200k rows takes several seconds: time to kill its trainer mid-run.
    const small = await uploadCsv(base, syntheticCsv(2_000, 10, 7), { name: "synthetic-small" });
    const big = await uploadCsv(base, syntheticCsv(200_000, 10, 8), { name: "synthetic-big" });
    const forest = await trainOne(small.id, "label", { n_estimators: 200 });
    const created = await createPrediction(forest, big.id);

    // Not succeeded yet: no results.
    const early = await results(created.id, "");
    expect(early.status, JSON.stringify(early.body)).toBe(412);
    expect(early.body.error.code).toBe("FAILED_PRECONDITION");

    const running = await waitForPrediction(created.id, (p) => p.state === "running" && p.trainer !== undefined, 30_000, "prediction running");
    expect(running.attempts).toBe(1);
    await cluster.node(running.trainer!).kill("SIGKILL");
    const requeued = await waitForPrediction(created.id, (p) => p.attempts >= 2, (LEASE_TTL + 10) * 1000, "second attempt");
    expect(requeued.trainer).not.toBe(running.trainer);

    const final = await waitForPrediction(created.id, ended, 120_000, "prediction ended after the kill");
    expect(final, JSON.stringify(final)).toMatchObject({ state: "succeeded", attempts: 2, rows: 200_000, progress: 1 });
    expect(final.metrics!["accuracy"]).toBeGreaterThan(0.5);
    const tail = await results(created.id, "?offset=199990&limit=100");
    expect(tail.body.total).toBe(200_000);
    expect(tail.body.rows.map((r) => r.row)).toEqual(Array.from({ length: 10 }, (_, i) => 199_990 + i));
  });
});
