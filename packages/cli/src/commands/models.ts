// `dml models ls|get|download|rm`: the model registry through the gateway's REST API.
import { parseArgs, rejectUnknownFlags, stringFlag, UsageError, type ParsedArgs } from "../args.js";
import { saveDownload } from "../download.js";
import { call, getJson } from "../gateway-client.js";
import { formatModel, formatModelList, type Model } from "../model-view.js";
import { formatBytes } from "../progress.js";
import { COMMON_FLAGS, idArg, out, printResult, target } from "./common.js";

const modelPath = (id: string) => `/v1/models/${encodeURIComponent(id)}`;

/** The GET /v1/models query for `--training` / `--dataset`. */
export function listQuery(args: ParsedArgs): string {
  const q = new URLSearchParams();
  const training = stringFlag(args, "training");
  const dataset = stringFlag(args, "dataset");
  if (training) q.set("trainingId", training);
  if (dataset) q.set("datasetId", dataset);
  const s = q.toString();
  return s ? `?${s}` : "";
}

async function list(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "training", "dataset"]);
  if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]}"`);
  const { models } = await getJson<{ models: Model[] }>(target(args), `/v1/models${listQuery(args)}`);
  printResult(args, models, formatModelList);
  return 0;
}

async function get(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  const m = await getJson<Model>(target(args), modelPath(idArg(args, "dml models get ID")));
  printResult(args, m, formatModel);
  return 0;
}

/**
 * Streams the document to FILE.part and renames it once complete, so FILE is either the whole
 * document or absent; the part file is removed on any error (a short body included).
 */
async function download(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "output"]);
  const id = idArg(args, "dml models download ID [-o FILE]");
  const output = stringFlag(args, "output") ?? `${id}.json`;
  const res = await call(target(args), `${modelPath(id)}/download`);
  const size = await saveDownload(res, output, `model ${id}`);
  if (args.flags.has("json")) out(JSON.stringify({ id, file: output, bytes: size }));
  else process.stderr.write(`wrote ${output} (${formatBytes(size)})\n`);
  return 0;
}

async function remove(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  const id = idArg(args, "dml models rm ID");
  await call(target(args), modelPath(id), { method: "DELETE", timeoutMs: 30_000 });
  out(`deleted ${id}`);
  return 0;
}

const SUBCOMMANDS: Record<string, (args: ParsedArgs) => Promise<number>> = {
  ls: list,
  list,
  get,
  download,
  rm: remove,
  delete: remove,
};

export async function modelsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(["json"]));
  const sub = args.positionals[0];
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw new UsageError("usage: dml models ls [--training ID] [--dataset ID]|get ID|download ID [-o FILE]|rm ID [--json]");
  return run(args);
}
