// `dml datasets upload|ls|get|rows|download|rm`: datasets through the gateway's REST API.
import { createWriteStream, statSync } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs, rejectUnknownFlags, stringFlag, UsageError, type ParsedArgs } from "../args.js";
import { call, getJson } from "../gateway-client.js";
import { uploadFile } from "../upload.js";
import { formatBytes, ProgressBar } from "../progress.js";
import { printTable } from "../table.js";
import { COMMON_FLAGS, out, target } from "./common.js";

interface Column {
  name: string;
  type: string;
  missing: number;
  stats: {
    min?: number;
    max?: number;
    mean?: number;
    distinct?: number;
    /** `distinct` is an estimate (HyperLogLog): shown as "~N". */
    distinctApproximate?: boolean;
    topValues?: Array<{ value: string; count: number }>;
  };
}

interface Dataset {
  id: string;
  name: string;
  rows: number;
  columns: Column[];
  batches: number;
  bytes: number;
  createdAt: string;
  replicas: number;
  warnings: string[];
}

function printDataset(d: Dataset): void {
  out(`${d.id}  ${d.name}`);
  out(`  ${d.rows} rows, ${d.columns.length} columns, ${d.batches} batches, ${formatBytes(d.bytes)}, replicas ${d.replicas}, created ${d.createdAt}`);
  for (const w of d.warnings ?? []) out(`  warning: ${w}`);
  printTable(
    ["COLUMN", "TYPE", "MISSING", "MIN", "MAX", "MEAN", "DISTINCT", "TOP"],
    d.columns.map((c) => [
      c.name,
      c.type,
      String(c.missing),
      c.stats.min === undefined ? "" : String(c.stats.min),
      c.stats.max === undefined ? "" : String(c.stats.max),
      c.stats.mean === undefined ? "" : Number(c.stats.mean.toPrecision(6)).toString(),
      c.stats.distinct === undefined ? "" : `${c.stats.distinctApproximate === true ? "~" : ""}${c.stats.distinct}`,
      (c.stats.topValues ?? []).slice(0, 3).map((t) => `${t.value} (${t.count})`).join(", "),
    ]),
  );
}

async function upload(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "name", "types", "delimiter", "rows-per-batch"]);
  const file = args.positionals[1];
  if (!file) throw new UsageError("usage: dml datasets upload FILE [--name NAME] [--types col:type,...] [--delimiter ,]");
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const bar = new ProgressBar(`uploading ${basename(file)}`, size);
  const started = Date.now();
  const dataset = (await uploadFile(target(args), file, {
    name: stringFlag(args, "name") ?? basename(file).replace(/\.[^.]*$/, ""),
    types: stringFlag(args, "types"),
    delimiter: stringFlag(args, "delimiter"),
    rowsPerBatch: stringFlag(args, "rows-per-batch"),
    onProgress: (sent) => bar.update(sent),
  })) as Dataset;
  const seconds = (Date.now() - started) / 1000;
  bar.finish(`uploaded ${formatBytes(size)} in ${seconds.toFixed(1)} s (${formatBytes(size / Math.max(seconds, 0.001))}/s)`);
  if (args.flags.has("json")) out(JSON.stringify(dataset, null, 2));
  else printDataset(dataset);
  return 0;
}

async function list(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  const { datasets } = await getJson<{ datasets: Dataset[] }>(target(args), "/v1/datasets");
  if (args.flags.has("json")) {
    out(JSON.stringify(datasets, null, 2));
    return 0;
  }
  printTable(
    ["ID", "NAME", "ROWS", "COLUMNS", "SIZE", "REPLICAS", "CREATED"],
    datasets.map((d) => [d.id, d.name, String(d.rows), String(d.columns.length), formatBytes(d.bytes), String(d.replicas), d.createdAt]),
  );
  return 0;
}

function idArg(args: ParsedArgs, usage: string): string {
  const id = args.positionals[1];
  if (!id) throw new UsageError(`usage: ${usage}`);
  return encodeURIComponent(id);
}

async function get(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  const d = await getJson<Dataset>(target(args), `/v1/datasets/${idArg(args, "dml datasets get ID")}`);
  if (args.flags.has("json")) out(JSON.stringify(d, null, 2));
  else printDataset(d);
  return 0;
}

async function rows(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "offset", "limit"]);
  const id = idArg(args, "dml datasets rows ID [--offset 0] [--limit 20]");
  const q = new URLSearchParams({ offset: stringFlag(args, "offset") ?? "0", limit: stringFlag(args, "limit") ?? "20" });
  const page = await getJson<{ rows: Array<Record<string, unknown>>; total: number; columns: string[] }>(
    target(args),
    `/v1/datasets/${id}/rows?${q}`,
  );
  if (args.flags.has("json")) {
    out(JSON.stringify(page, null, 2));
    return 0;
  }
  printTable(
    page.columns,
    page.rows.map((r) => page.columns.map((c) => (r[c] === null || r[c] === undefined ? "" : String(r[c])))),
  );
  out(`(${page.rows.length} of ${page.total} rows from offset ${q.get("offset")})`);
  return 0;
}

async function download(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, [...COMMON_FLAGS, "format", "output"]);
  const id = idArg(args, "dml datasets download ID [-o FILE] [--format csv|arrow]");
  const format = stringFlag(args, "format") ?? "csv";
  if (format !== "csv" && format !== "arrow") throw new UsageError("--format must be csv or arrow");
  const res = await call(target(args), `/v1/datasets/${id}/download?format=${format}`);
  const output = stringFlag(args, "output");
  const sink = output ? createWriteStream(output) : process.stdout;
  await pipeline(Readable.fromWeb(res.body as never), sink);
  if (output) process.stderr.write(`wrote ${output} (${formatBytes(statSync(output).size)})\n`);
  return 0;
}

async function remove(args: ParsedArgs): Promise<number> {
  rejectUnknownFlags(args, COMMON_FLAGS);
  const id = idArg(args, "dml datasets rm ID");
  await call(target(args), `/v1/datasets/${id}`, { method: "DELETE", timeoutMs: 30_000 });
  out(`deleted ${decodeURIComponent(id)}`);
  return 0;
}

const SUBCOMMANDS: Record<string, (args: ParsedArgs) => Promise<number>> = {
  upload,
  ls: list,
  list,
  get,
  rows,
  download,
  rm: remove,
  delete: remove,
};

export async function datasetsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(["json"]));
  const sub = args.positionals[0];
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw new UsageError("usage: dml datasets upload|ls|get|rows|download|rm ...");
  return run(args);
}
