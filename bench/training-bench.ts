// Training bench (issue 5): the same 8-model classification training on a real cluster with 1
// trainer and with 2 trainers (1 slot each), through the REST gateway; prints the wall time of
// each (POST to terminal state), the speedup and efficiency, and the scheduling overhead (POST to
// the first model running), median over the two big runs and a few one-model trainings.
//
// Data: BENCH_TRAIN_ROWS (default 6000) rows x 20 uniform features, seeded, and a binary label
// from a noisy nonlinear function of 7 of them. Cluster per run: etcd, 1 scheduler, 1 store
// (R = 1), 1 gateway, N trainers (DML_TRAINER_SLOTS=1).
// Sizes: the whole run takes ~30-60 s on 1 trainer on a 2-core machine, and no single model is
// more than about a third of the total (otherwise the longest model, not the scheduler, bounds
// the speedup). Why not 20k rows: a trainer scores SVM and KNN models by permutation importance
// (5 repeats x 20 features = 100 predictions of up to 2000 test rows), and their prediction cost
// grows with the training rows too; at 20k rows the SVM alone took ~130 s and KNN ~60 s, against
// a few seconds for each tree model. The models are listed longest first, so the scheduler's
// queue order (request order) packs them well.
// Env: BENCH_TRAIN_SCALE multiplies the ensembles' sizes; BENCH_TRAIN_SMALL_RUNS (default 5).
// Prints figures; asserts nothing.
import { formatLeaderboard, type Training } from "@dml/cli";
import { TestCluster } from "@dml/testkit";
import { rng } from "./random.js";

const ROWS = Number(process.env["BENCH_TRAIN_ROWS"] ?? 6_000);
const SCALE = Number(process.env["BENCH_TRAIN_SCALE"] ?? 1);
const SMALL_RUNS = Number(process.env["BENCH_TRAIN_SMALL_RUNS"] ?? 5);
const COLS = 20;
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const trees = (n: number) => Math.max(1, Math.round(n * SCALE));

const MODELS = [
  { algorithm: "svm", params: { kernel: "rbf", C: 1 } },
  { algorithm: "random_forest", params: { n_estimators: trees(1200), max_depth: 10, max_features: "sqrt" } },
  { algorithm: "random_forest", params: { n_estimators: trees(900), max_depth: 12 } },
  { algorithm: "knn", params: { n_neighbors: 15 } },
  { algorithm: "gradient_boosting", params: { n_estimators: trees(2500), max_depth: 4 } },
  { algorithm: "decision_tree", params: { max_depth: 16 } },
  { algorithm: "logistic_regression" },
  { algorithm: "naive_bayes" },
];

function generateCsv(): string {
  const random = rng(42);
  const lines = [[...Array.from({ length: COLS }, (_, j) => `f${j}`), "label"].join(",")];
  for (let i = 0; i < ROWS; i++) {
    const x = Array.from({ length: COLS }, () => random() * 4 - 2);
    const s = x[0]! + 0.8 * x[1]! - 0.6 * x[2]! + 0.5 * x[3]! * x[4]! + Math.sin(2 * x[5]!) + 0.3 * x[6]! * x[6]! - 0.3 + (random() - 0.5);
    lines.push([...x.map((v) => v.toFixed(5)), s > 0 ? "pos" : "neg"].join(","));
  }
  return lines.join("\n") + "\n";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function json<T>(res: Response, expect: number, what: string): Promise<T> {
  const body = (await res.json()) as T;
  if (res.status !== expect) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return body;
}

async function upload(url: string, csv: string): Promise<string> {
  const res = await fetch(`${url}/v1/datasets?name=bench`, { method: "POST", headers: { "content-type": "text/csv" }, body: csv });
  const ds = await json<{ id: string; rows: number }>(res, 201, "upload");
  if (ds.rows !== ROWS) throw new Error(`uploaded ${ds.rows} rows, expected ${ROWS}`);
  return ds.id;
}

interface Timed {
  training: Training;
  /** POST to terminal state, seconds. */
  wall: number;
  /** POST to the first model running, seconds: from the models' startedAt when given, else as polled. */
  firstRunning: number;
}

/**
 * Starts a training and polls it every 500 ms until it ends. The wall time ends at the training's
 * own finishedAt (the last model's end, stamped by the cluster on this machine's clock), so the
 * poll interval neither rounds it nor adds load that the trainers would compete with.
 */
async function timedTraining(url: string, datasetId: string, models: typeof MODELS): Promise<Timed> {
  const postedAt = Date.now();
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/trainings`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ datasetId, target: "label", task: "classification", models, testFraction: 0.2, seed: 42 }),
  });
  let training = await json<Training>(res, 202, "POST /v1/trainings");
  let polledRunning: number | undefined;
  const deadline = t0 + 15 * 60_000;
  for (;;) {
    const now = performance.now();
    if (polledRunning === undefined && training.models.some((m) => m.state !== "queued" || m.attempts > 0)) polledRunning = (now - t0) / 1000;
    if (TERMINAL.has(training.state)) {
      const starts = training.models.map((m) => Date.parse(m.startedAt ?? "")).filter(Number.isFinite);
      const firstRunning = starts.length ? (Math.min(...starts) - postedAt) / 1000 : (polledRunning ?? (now - t0) / 1000);
      const finished = Date.parse(training.finishedAt ?? "");
      const wall = Number.isFinite(finished) ? (finished - postedAt) / 1000 : (now - t0) / 1000;
      return { training, wall, firstRunning };
    }
    if (now > deadline) throw new Error(`training ${training.id} still ${training.state} after 15 minutes`);
    await sleep(500);
    training = await json<Training>(await fetch(`${url}/v1/trainings/${training.id}`), 200, "GET training");
  }
}

/** Waits until the gateway lists every trainer, so the first run doesn't race their registration. */
async function waitForTrainers(url: string, trainers: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const c = (await (await fetch(`${url}/v1/cluster`)).json()) as { nodes: Array<{ role: string; state: string }> };
    if (c.nodes.filter((n) => n.role === "trainer" && n.state !== "dead").length >= trainers) return;
    await sleep(100);
  }
  throw new Error(`the cluster never listed ${trainers} trainers`);
}

function describeRun(label: string, r: Timed): void {
  const t = r.training;
  console.log(`\n${label}: training ${t.state} in ${r.wall.toFixed(2)} s (first model running after ${r.firstRunning.toFixed(3)} s)`);
  const byTrainer = new Map<string, number>();
  for (const m of t.models) {
    const s = m.startedAt && m.finishedAt ? (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000 : NaN;
    if (m.trainer && Number.isFinite(s)) byTrainer.set(m.trainer, (byTrainer.get(m.trainer) ?? 0) + s);
  }
  console.log(`  busy seconds per trainer: ${[...byTrainer].map(([n, s]) => `${n} ${s.toFixed(1)}`).join(", ") || "(no timestamps)"}`);
  for (const line of formatLeaderboard(t)) console.log(`  ${line}`);
}

async function runOn(trainers: number, csv: string, smallRuns: number): Promise<{ big: Timed; small: Timed[] }> {
  const cluster = await TestCluster.start({
    schedulers: 1,
    stores: 1,
    trainers,
    gateways: 1,
    env: { LOG_LEVEL: "warn", DML_TRAINER_SLOTS: "1", DML_REPLICATION: "1" },
  });
  try {
    const url = cluster.httpUrl;
    await waitForTrainers(url, trainers);
    const datasetId = await upload(url, csv);
    const big = await timedTraining(url, datasetId, MODELS);
    describeRun(`${trainers} trainer${trainers > 1 ? "s" : ""}`, big);
    // One cheap model each: the time to its start is nearly all scheduling (queue, assign, pick up).
    const small: Timed[] = [];
    for (let i = 0; i < smallRuns; i++) small.push(await timedTraining(url, datasetId, [{ algorithm: "naive_bayes" }]));
    return { big, small };
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const csv = generateCsv();
  console.log(`generated ${ROWS} x ${COLS} numeric features + binary label: ${(Buffer.byteLength(csv) / 1e6).toFixed(1)} MB`);
  console.log(`models: ${MODELS.map((m) => `${m.algorithm}${m.params ? JSON.stringify(m.params) : ""}`).join(", ")}`);
  const one = await runOn(1, csv, Math.ceil(SMALL_RUNS / 2));
  const two = await runOn(2, csv, Math.floor(SMALL_RUNS / 2));

  const speedup = one.big.wall / two.big.wall;
  const overheads = [one.big, two.big, ...one.small, ...two.small].map((r) => r.firstRunning);
  const smallWalls = [...one.small, ...two.small].map((r) => r.wall);
  console.log("");
  console.log(`wall time, 1 trainer:  ${one.big.wall.toFixed(2)} s (${one.big.training.state})`);
  console.log(`wall time, 2 trainers: ${two.big.wall.toFixed(2)} s (${two.big.training.state})`);
  console.log(`speedup: ${speedup.toFixed(2)}x, efficiency (speedup / 2): ${((speedup / 2) * 100).toFixed(0)}%`);
  console.log(
    `scheduling overhead (POST to first model running), median of ${overheads.length}: ${(median(overheads) * 1000).toFixed(0)} ms ` +
      `(min ${(Math.min(...overheads) * 1000).toFixed(0)}, max ${(Math.max(...overheads) * 1000).toFixed(0)})`,
  );
  if (smallWalls.length) console.log(`one-model naive_bayes training, POST to succeeded, median of ${smallWalls.length}: ${(median(smallWalls) * 1000).toFixed(0)} ms`);
  console.log(
    `training bench: 8 models on ${ROWS} rows: 1 trainer ${one.big.wall.toFixed(1)} s, 2 trainers ${two.big.wall.toFixed(1)} s, ` +
      `speedup ${speedup.toFixed(2)}x, efficiency ${((speedup / 2) * 100).toFixed(0)}%, scheduling overhead median ${(median(overheads) * 1000).toFixed(0)} ms`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
