// `dml train ...` and `dml trainings ls|get|cancel|watch`: training jobs through the gateway's REST
// API; `--watch` / `watch` follow a training over its Server-Sent Events stream.
import { parseArgs, rejectUnknownFlags, stringFlag, UsageError, type ParsedArgs } from "../args.js";
import { call, getJson, type GatewayTarget } from "../gateway-client.js";
import { readSse } from "../sse.js";
import {
  formatLeaderboard,
  formatTraining,
  formatTrainingList,
  primaryMetricOf,
  TERMINAL_STATES,
  TrainingWatchView,
  type Training,
  type WatchStream,
} from "../training-view.js";
import { COMMON_FLAGS, idArg, out, printResult, target } from "./common.js";

export const ALGORITHMS = [
  "random_forest",
  "gradient_boosting",
  "decision_tree",
  "logistic_regression",
  "linear_regression",
  "svm",
  "naive_bayes",
  "knn",
] as const;

export interface TrainingRequest {
  datasetId: string;
  target: string;
  task: "classification" | "regression";
  models: Array<{ algorithm: string; params?: Record<string, unknown> }>;
  testFraction?: number;
  cvFolds?: number;
  seed?: number;
}

const TRAIN_FLAGS = [...COMMON_FLAGS, "dataset", "target", "task", "models", "params", "test-fraction", "cv", "seed", "watch"];

function required(args: ParsedArgs, name: string, what: string): string {
  const v = stringFlag(args, name);
  if (v === undefined || v.trim() === "") throw new UsageError(`--${name} ${what} is required`);
  return v.trim();
}

function optionalInt(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) throw new UsageError(`--${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return Number(raw);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * --params: either an object keyed by algorithm (applies to every model of that algorithm:
 * `{"random_forest":{"n_estimators":50}}`), or an array with one object (or null) per --models
 * entry, in order, for a list that names an algorithm twice with different settings.
 */
function parseParams(raw: string, algorithms: string[]): Array<Record<string, unknown> | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`--params is not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(parsed)) {
    if (parsed.length !== algorithms.length) {
      throw new UsageError(`--params as an array needs one entry per model (${algorithms.length}), got ${parsed.length}`);
    }
    return parsed.map((p, i) => {
      if (p === null) return undefined;
      if (!isObject(p)) throw new UsageError(`--params[${i}] (${algorithms[i]}) must be an object of parameters`);
      return p;
    });
  }
  if (!isObject(parsed)) throw new UsageError('--params must be a JSON object like {"random_forest":{"n_estimators":50}} or an array with one object per model');
  for (const [algorithm, p] of Object.entries(parsed)) {
    if (!algorithms.includes(algorithm)) throw new UsageError(`--params has parameters for "${algorithm}", which is not in --models (${algorithms.join(",")})`);
    if (!isObject(p)) throw new UsageError(`--params.${algorithm} must be an object of parameters`);
  }
  return algorithms.map((a) => parsed[a] as Record<string, unknown> | undefined);
}

/** Validates `dml train` flags and builds the POST /v1/trainings body. */
export function trainRequestFromArgs(args: ParsedArgs): TrainingRequest {
  rejectUnknownFlags(args, TRAIN_FLAGS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const datasetId = required(args, "dataset", "ID");
  const targetColumn = required(args, "target", "COLUMN");
  const task = required(args, "task", "classification|regression");
  if (task !== "classification" && task !== "regression") throw new UsageError(`--task must be classification or regression, got "${task}"`);
  const algorithms = required(args, "models", "ALGORITHM,...")
    .split(",")
    .map((s) => s.trim());
  for (const a of algorithms) {
    if (!(ALGORITHMS as readonly string[]).includes(a)) {
      throw new UsageError(`--models: unknown algorithm "${a}" (known: ${ALGORITHMS.join(", ")})`);
    }
  }
  const rawParams = stringFlag(args, "params");
  const params = rawParams === undefined ? [] : parseParams(rawParams, algorithms);
  const request: TrainingRequest = {
    datasetId,
    target: targetColumn,
    task,
    models: algorithms.map((algorithm, i) => ({ algorithm, ...(params[i] && { params: params[i] }) })),
  };
  const fraction = stringFlag(args, "test-fraction");
  if (fraction !== undefined) {
    const f = Number(fraction);
    if (fraction.trim() === "" || !Number.isFinite(f) || f <= 0 || f >= 1) throw new UsageError(`--test-fraction must be a number between 0 and 1 (exclusive), got "${fraction}"`);
    request.testFraction = f;
  }
  const cv = optionalInt(args, "cv", 0, 20);
  if (cv === 1) throw new UsageError("--cv must be 0 (no cross-validation) or at least 2 folds");
  if (cv !== undefined) request.cvFolds = cv;
  const seed = optionalInt(args, "seed", 0, 2 ** 31 - 1);
  if (seed !== undefined) request.seed = seed;
  return request;
}

const trainingPath = (id: string) => `/v1/trainings/${encodeURIComponent(id)}`;

/**
 * Follows a training's event stream until it ends (reconnecting with Last-Event-ID on drops),
 * showing live progress on stderr; returns the final training.
 */
export async function watchTraining(gw: GatewayTarget, id: string, stream: WatchStream = process.stderr): Promise<Training> {
  const view = new TrainingWatchView(stream);
  let last: Training | undefined;
  const events = readSse(gw, `${trainingPath(id)}/events`, {
    onReconnect: (n, reason) => view.note(`event stream interrupted (${reason}); reconnecting (${n})...`),
  });
  for await (const ev of events) {
    let t: Training;
    try {
      t = JSON.parse(ev.data) as Training;
    } catch {
      continue; // not a training snapshot (an event type this CLI doesn't know)
    }
    if (!isObject(t) || !Array.isArray(t.models)) continue;
    last = t;
    view.update(t);
    if (TERMINAL_STATES.has(t.state)) break;
  }
  view.finish();
  // The loop only ends at a terminal snapshot; readSse throws when it gives up.
  return last!;
}

async function watchAndReport(args: ParsedArgs, gw: GatewayTarget, id: string): Promise<number> {
  const t = await watchTraining(gw, id);
  if (args.flags.has("json")) {
    out(JSON.stringify(t, null, 2));
  } else {
    const cv = (t.cvFolds ?? 0) > 1 ? `, ${t.cvFolds}-fold cross-validation mean ± std` : ", on the test split";
    out(`\ntraining ${t.id} ${t.state}; leaderboard by ${primaryMetricOf(t)}${cv}:`);
    for (const line of formatLeaderboard(t)) out(`  ${line}`);
    if (t.error) out(`error: ${t.error}`);
  }
  return t.state === "succeeded" ? 0 : 1;
}

export async function trainCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(["json", "watch"]));
  const request = trainRequestFromArgs(args);
  const gw = target(args);
  const training = await getJson<Training>(gw, "/v1/trainings", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  if (args.flags.has("watch")) {
    process.stderr.write(`training ${training.id} started\n`);
    return watchAndReport(args, gw, training.id);
  }
  if (args.flags.has("json")) {
    out(JSON.stringify(training, null, 2));
  } else {
    out(training.id);
    process.stderr.write(`follow it with: dml trainings watch ${training.id}\n`);
  }
  return 0;
}

async function list(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "dataset"]);
  const dataset = stringFlag(args, "dataset");
  const q = dataset ? `?${new URLSearchParams({ datasetId: dataset })}` : "";
  const body = await getJson<{ trainings: Training[] } | Training[]>(target(args), `/v1/trainings${q}`);
  // Filtered here too, in case the gateway ignores the query parameter.
  const trainings = (Array.isArray(body) ? body : body.trainings).filter((t) => !dataset || t.datasetId === dataset);
  printResult(args, trainings, formatTrainingList);
  return 0;
}

async function get(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  const t = await getJson<Training>(target(args), trainingPath(idArg(args, "dml trainings get ID")));
  printResult(args, t, formatTraining);
  return 0;
}

async function cancel(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  const id = idArg(args, "dml trainings cancel ID");
  const gw = target(args);
  const res = await call(gw, `${trainingPath(id)}/cancel`, { method: "POST", timeoutMs: 30_000 });
  // 202 may carry the training or nothing; fetch it when it doesn't.
  const text = await res.text();
  let t: Training | undefined;
  try {
    t = text ? (JSON.parse(text) as Training) : undefined;
  } catch {
    t = undefined;
  }
  if (!t || typeof t.state !== "string") t = await getJson<Training>(gw, trainingPath(id));
  if (args.flags.has("json")) out(JSON.stringify(t, null, 2));
  else out(`${t.id} ${t.state}${t.cancelRequested && !TERMINAL_STATES.has(t.state) ? " (cancel requested; running models stop at their next checkpoint)" : ""}`);
  return 0;
}

async function watch(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  return watchAndReport(args, target(args), idArg(args, "dml trainings watch ID"));
}

const SUBCOMMANDS: Record<string, (args: ParsedArgs) => Promise<number>> = {
  ls: list,
  list,
  get,
  cancel,
  watch,
};

export async function trainingsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(["json"]));
  const sub = args.positionals[0];
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw new UsageError("usage: dml trainings ls [--dataset ID]|get ID|cancel ID|watch ID [--json]");
  return run(args);
}
