// `dml predictions create|ls|get|results|download`: batch predictions through the gateway's REST
// API. `create --watch` polls the prediction until it ends (a prediction has one task, so a poll
// every 500 ms is all the progress there is to show).
import { intFlag, parseArgs, rejectUnknownFlags, stringFlag, UsageError, type ParsedArgs } from "../args.js";
import { saveDownload } from "../download.js";
import { call, getJson, type GatewayTarget } from "../gateway-client.js";
import { formatBytes } from "../progress.js";
import { formatTable } from "../table.js";
import { formatMetric, formatPercent, progressBar, TERMINAL_STATES, type WatchStream } from "../training-view.js";
import { COMMON_FLAGS, idArg, out, printResult, target } from "./common.js";

export interface Prediction {
  id: string;
  modelId: string;
  datasetId: string;
  state: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  progress: number;
  rows: number;
  metrics?: Record<string, number>;
  error?: string;
  trainer?: string;
  attempts: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface ResultRow {
  row: number;
  prediction: string | number | boolean | null;
  probabilities?: Record<string, number>;
}

const POLL_MS = 500;

function required(args: ParsedArgs, name: string): string {
  const v = stringFlag(args, name)?.trim();
  if (!v) throw new UsageError(`--${name} ID is required`);
  return v;
}

const predictionPath = (id: string) => `/v1/predictions/${encodeURIComponent(id)}`;

export function formatMetrics(metrics: Record<string, number> | undefined): string {
  const entries = Object.entries(metrics ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([k, v]) => `${k} ${formatMetric(v)}`).join(", ");
}

export function formatPrediction(p: Prediction): string[] {
  const lines = [
    `${p.id}  ${p.state}  ${formatPercent(p.progress)}`,
    `  model ${p.modelId}, dataset ${p.datasetId}`,
    `  rows ${p.rows}, attempts ${p.attempts}${p.trainer ? `, trainer ${p.trainer}` : ""}`,
    `  created ${p.createdAt}${p.startedAt ? `, started ${p.startedAt}` : ""}${p.finishedAt ? `, finished ${p.finishedAt}` : ""}`,
  ];
  if (p.metrics && Object.keys(p.metrics).length > 0) lines.push(`  metrics: ${formatMetrics(p.metrics)}`);
  if (p.error) lines.push(`  error: ${p.error}`);
  return lines;
}

export function formatPredictionList(predictions: Prediction[]): string[] {
  return formatTable(
    ["ID", "STATE", "PROGRESS", "ROWS", "MODEL", "DATASET", "CREATED"],
    predictions.map((p) => [p.id, p.state, formatPercent(p.progress), String(p.rows), p.modelId, p.datasetId, p.createdAt]),
  );
}

/** A results page as a table: row, prediction, then one column per class probability. */
export function formatResults(rows: ResultRow[]): string[] {
  const classes = Object.keys(rows[0]?.probabilities ?? {});
  return formatTable(
    ["ROW", "PREDICTION", ...classes.map((c) => `P(${c})`)],
    rows.map((r) => [String(r.row), r.prediction === null ? "" : String(r.prediction), ...classes.map((c) => formatMetric(r.probabilities?.[c]))]),
  );
}

/** One status line: a bar on a terminal (redrawn in place), a plain line per change otherwise. */
export function statusLine(p: Prediction): string {
  const where = p.trainer && p.state === "running" ? ` on ${p.trainer}` : "";
  const attempt = p.attempts > 1 ? ` attempt ${p.attempts}` : "";
  return `prediction ${p.id} [${progressBar(p.progress)}] ${formatPercent(p.progress).padStart(4)} ${p.state}${where}${attempt}`;
}

/** Polls the prediction until it ends, showing its progress on `stream`; returns the final state. */
export async function watchPrediction(gw: GatewayTarget, id: string, stream: WatchStream = process.stderr, pollMs = POLL_MS): Promise<Prediction> {
  let last = "";
  for (;;) {
    const p = await getJson<Prediction>(gw, predictionPath(id));
    const line = statusLine(p);
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}`);
    else if (line !== last) stream.write(`${line}\n`);
    last = line;
    if (TERMINAL_STATES.has(p.state)) {
      if (stream.isTTY) stream.write("\n");
      return p;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function create(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "model", "dataset", "watch"]);
  if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]}"`);
  const gw = target(args);
  const body = { modelId: required(args, "model"), datasetId: required(args, "dataset") };
  const created = await getJson<Prediction>(gw, "/v1/predictions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!args.flags.has("watch")) {
    if (args.flags.has("json")) out(JSON.stringify(created, null, 2));
    else {
      out(created.id);
      process.stderr.write(`follow it with: dml predictions get ${created.id}\n`);
    }
    return 0;
  }
  const p = await watchPrediction(gw, created.id);
  if (args.flags.has("json")) out(JSON.stringify(p, null, 2));
  else {
    out(`prediction ${p.id} ${p.state}: ${p.rows} rows`);
    if (p.metrics && Object.keys(p.metrics).length > 0) out(`metrics: ${formatMetrics(p.metrics)}`);
    if (p.error) out(`error: ${p.error}`);
  }
  return p.state === "succeeded" ? 0 : 1;
}

async function list(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "model", "dataset"]);
  if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]}"`);
  const q = new URLSearchParams();
  const model = stringFlag(args, "model");
  const dataset = stringFlag(args, "dataset");
  if (model) q.set("modelId", model);
  if (dataset) q.set("datasetId", dataset);
  const query = q.toString();
  const { predictions } = await getJson<{ predictions: Prediction[] }>(target(args), `/v1/predictions${query ? `?${query}` : ""}`);
  printResult(args, predictions, formatPredictionList);
  return 0;
}

async function get(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  const p = await getJson<Prediction>(target(args), predictionPath(idArg(args, "dml predictions get ID")));
  printResult(args, p, formatPrediction);
  return 0;
}

async function results(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "offset", "limit"]);
  const id = idArg(args, "dml predictions results ID [--offset 0] [--limit 20]");
  const offset = intFlag(args, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intFlag(args, "limit", 20, 1, 10_000);
  const page = await getJson<{ rows: ResultRow[]; total: number }>(target(args), `${predictionPath(id)}/results?${new URLSearchParams({ offset: String(offset), limit: String(limit) })}`);
  if (args.flags.has("json")) {
    out(JSON.stringify(page, null, 2));
    return 0;
  }
  for (const line of formatResults(page.rows)) out(line);
  out(`(${page.rows.length} of ${page.total} rows from offset ${offset})`);
  return 0;
}

/** Streams the CSV to FILE.part and renames it once complete, so FILE is either whole or absent. */
async function download(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "output"]);
  const id = idArg(args, "dml predictions download ID [-o FILE]");
  const output = stringFlag(args, "output") ?? `${id}.csv`;
  const res = await call(target(args), `${predictionPath(id)}/results?format=csv`);
  const size = await saveDownload(res, output, `prediction ${id}`);
  if (args.flags.has("json")) out(JSON.stringify({ id, file: output, bytes: size }));
  else process.stderr.write(`wrote ${output} (${formatBytes(size)})\n`);
  return 0;
}

const SUBCOMMANDS: Record<string, (args: ParsedArgs) => Promise<number>> = {
  create,
  ls: list,
  list,
  get,
  results,
  download,
};

export async function predictionsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(["json", "watch"]));
  const sub = args.positionals[0];
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) {
    throw new UsageError(
      "usage: dml predictions create --model ID --dataset ID [--watch]|ls [--model ID] [--dataset ID]|get ID|results ID [--offset N] [--limit N]|download ID [-o FILE] [--json]",
    );
  }
  return run(args);
}
