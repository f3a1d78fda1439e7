// Online prediction bench (issue 6, point 5): a 100-tree random forest on 30 features, single-row
// requests, 8 concurrent connections for 10 s, through the REST gateway (autocannon) and through
// the gateway's gRPC port (ModelService.Predict, 8 callers in a loop); prints requests/s and
// p50/p99 latency next to the reference (FastAPI + uvicorn + scikit-learn, one process: ~300
// requests/s at p99 54 ms on this machine) and the goal (10x that, p99 < 5 ms).
//
// Cluster: etcd, 1 scheduler, 1 store, 2 trainers, 1 gateway, logs at "warn" (the test kit's
// default "debug" logs every request). The load generator runs in this process, on the same
// machine, so the figures include its CPU use.
// Env: BENCH_PREDICT_ROWS (training rows, default 20000), BENCH_PREDICT_SECONDS (default 10),
// BENCH_PREDICT_CONNECTIONS (default 8). Prints figures; asserts nothing.
import { availableParallelism, loadavg } from "node:os";
import { createChannel, createClient } from "nice-grpc";
import { modelV1 } from "@dml/proto";
import { CLIENT_OPTIONS } from "@dml/runtime";
import { TestCluster } from "@dml/testkit";
import { rng } from "./random.js";

const ROWS = Number(process.env["BENCH_PREDICT_ROWS"] ?? 20_000);
const SECONDS = Number(process.env["BENCH_PREDICT_SECONDS"] ?? 10);
const CONNECTIONS = Number(process.env["BENCH_PREDICT_CONNECTIONS"] ?? 8);
const COLS = 30;
const REFERENCE = { rps: 300, p99: 54 };

/** 30 numeric features and a three-class label from a noisy function of a few of them. */
function generateCsv(): { csv: string; sample: Record<string, number> } {
  const random = rng(7);
  const names = Array.from({ length: COLS }, (_, j) => `f${j}`);
  const lines = [[...names, "label"].join(",")];
  let sample: Record<string, number> = {};
  for (let i = 0; i < ROWS; i++) {
    const x = Array.from({ length: COLS }, () => random() * 4 - 2);
    const s = x[0]! + 0.8 * x[1]! - 0.6 * x[2]! + 0.5 * x[3]! * x[4]! + Math.sin(2 * x[5]!) + (random() - 0.5);
    lines.push([...x.map((v) => v.toFixed(4)), s > 0.7 ? "high" : s < -0.7 ? "low" : "mid"].join(","));
    if (i === 0) sample = Object.fromEntries(names.map((n, j) => [n, Number(x[j]!.toFixed(4))]));
  }
  return { csv: lines.join("\n") + "\n", sample };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json<T>(res: Response, expect: number, what: string): Promise<T> {
  const body = (await res.json()) as T;
  if (res.status !== expect) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return body;
}

async function trainForest(url: string, csv: string): Promise<string> {
  const ds = await json<{ id: string }>(await fetch(`${url}/v1/datasets?name=predict-bench`, { method: "POST", headers: { "content-type": "text/csv" }, body: csv }), 201, "upload");
  const models = [{ algorithm: "random_forest", params: { n_estimators: 100 } }];
  const started = performance.now();
  let training = await json<{ id: string; state: string; models: Array<{ modelId: string; error?: string }> }>(
    await fetch(`${url}/v1/trainings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ datasetId: ds.id, target: "label", task: "classification", models, seed: 1 }) }),
    202,
    "POST /v1/trainings",
  );
  while (!["succeeded", "failed", "cancelled"].includes(training.state)) {
    await sleep(250);
    training = await json(await fetch(`${url}/v1/trainings/${training.id}`), 200, "GET training");
  }
  if (training.state !== "succeeded") throw new Error(`training ${training.state}: ${training.models[0]?.error}`);
  process.stdout.write(`trained a 100-tree random forest on ${ROWS} rows x ${COLS} features in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return training.models[0]!.modelId;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** autocannon is a devDependency of the repository root, imported lazily so the build never needs it. */
async function restLoad(url: string, body: string, seconds = SECONDS): Promise<Figures> {
  const name = "autocannon";
  const autocannon = ((await import(name).catch(() => {
    throw new Error("autocannon is not installed: run `npm install -D autocannon@^8` at the repository root");
  })) as { default: (opts: Record<string, unknown>) => Promise<AutocannonResult> }).default;
  const result = await autocannon({ url, method: "POST", headers: { "content-type": "application/json" }, body, connections: CONNECTIONS, duration: seconds });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx + result.timeouts };
}

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** CONNECTIONS callers in a loop over one HTTP/2 channel, as a gRPC client would use it. */
async function grpcLoad(address: string, modelId: string, row: Record<string, number>, seconds = SECONDS): Promise<Figures> {
  const channel = createChannel(address, undefined, CLIENT_OPTIONS);
  const client = createClient(modelV1.ModelServiceDefinition, channel);
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const caller = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        await client.predict({ modelId, rows: [row] });
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, caller));
  const elapsed = (performance.now() - t0) / 1000;
  channel.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

function line(what: string, f: Figures): string {
  const goal = f.rps >= 10 * REFERENCE.rps && f.p99 < 5 ? "meets the goal" : "misses the goal (>= 3000 req/s, p99 < 5 ms)";
  return `${what.padEnd(14)} ${f.rps.toFixed(0).padStart(6)} req/s  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  errors ${f.errors}  (${(f.rps / REFERENCE.rps).toFixed(1)}x the reference; ${goal})`;
}

async function main(): Promise<void> {
  const { csv, sample } = generateCsv();
  const cluster = await TestCluster.start({ schedulers: 1, stores: 1, trainers: 2, gateways: 1, env: { LOG_LEVEL: "warn" } });
  try {
    const url = cluster.httpUrl;
    const modelId = await trainForest(url, csv);
    const predictUrl = `${url}/v1/models/${modelId}/predict`;
    const body = JSON.stringify({ rows: [sample] });
    // Warm up: the first call loads the model into its trainer's cache; the rest warm the JITs.
    const first = await json<{ predictions: unknown[] }>(await fetch(predictUrl, { method: "POST", headers: { "content-type": "application/json" }, body }), 200, "first predict");
    process.stdout.write(`model ${modelId}: first prediction ${JSON.stringify(first)}\n`);
    const gateway = cluster.byRole("gateway")[0]!;
    await restLoad(predictUrl, body, 3).catch((err: Error) => process.stdout.write(`REST warm-up skipped: ${err.message}\n`));
    await grpcLoad(gateway.address, modelId, sample, 2);
    process.stdout.write(`single-row predictions, ${CONNECTIONS} concurrent connections, ${SECONDS} s each; reference (FastAPI + scikit-learn): ${REFERENCE.rps} req/s, p99 ${REFERENCE.p99} ms\n`);
    try {
      process.stdout.write(line("REST", await restLoad(predictUrl, body)) + "\n");
    } catch (err) {
      process.stdout.write(`REST           skipped: ${(err as Error).message}\n`);
    }
    process.stdout.write(line("gRPC (gateway)", await grpcLoad(gateway.address, modelId, sample)) + "\n");
    // Everything (load generator included) shares this machine's cores: other work skews the figures.
    process.stdout.write(`machine: ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)} (1 min) at the end\n`);
  } finally {
    await cluster.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`predict bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
