// `dml predict MODEL --row '{...}' | --file rows.csv`: online prediction through the gateway
// (POST /v1/models/{id}/predict), a CSV sent in chunks of at most 1000 rows; prints one line per
// row with the prediction and the most likely classes, or --json.
import { readFileSync } from "node:fs";
import { intFlag, parseArgs, rejectUnknownFlags, stringFlag, UsageError } from "../args.js";
import { call, GatewayError, gatewayTarget, getJson, type GatewayTarget } from "../gateway-client.js";
import { csvRows, parseRowFlag, type FeatureTypes, type Row } from "./predict-input.js";
import { printTable } from "../table.js";

export const PREDICT_CHUNK_ROWS = 1000;
const USAGE = "dml predict MODEL --row '{\"column\": value, ...}' | --file rows.csv [--top N] [--json]";

export interface Predictions {
  predictions: unknown[];
  probabilities?: Array<Record<string, number>>;
}

/** The model's feature types, to type CSV cells; undefined when the registry cannot say. */
async function featureTypes(gw: GatewayTarget, modelId: string): Promise<FeatureTypes | undefined> {
  try {
    const model = await getJson<{ features?: Array<{ name: string; type: string }> }>(gw, `/v1/models/${encodeURIComponent(modelId)}`);
    return model.features ? new Map(model.features.map((f) => [f.name, f.type])) : undefined;
  } catch {
    return undefined;
  }
}

/** Row numbers in the gateway's errors count from the chunk's start: shift them to the file's. */
function shiftRows(err: GatewayError, offset: number): GatewayError {
  if (offset === 0) return err;
  return new GatewayError(err.status, err.message.replace(/\brow (\d+)/g, (_, n: string) => `row ${Number(n) + offset}`));
}

export async function predictRows(gw: GatewayTarget, modelId: string, rows: readonly Row[], chunkRows = PREDICT_CHUNK_ROWS): Promise<Predictions> {
  const out: Predictions = { predictions: [] };
  for (let offset = 0; offset < rows.length; offset += chunkRows) {
    let res: Response;
    try {
      res = await call(gw, `/v1/models/${encodeURIComponent(modelId)}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rows: rows.slice(offset, offset + chunkRows) }),
        timeoutMs: 60_000,
      });
    } catch (err) {
      throw err instanceof GatewayError ? shiftRows(err, offset) : err;
    }
    const part = (await res.json()) as Predictions;
    out.predictions.push(...part.predictions);
    if (part.probabilities) (out.probabilities ??= []).push(...part.probabilities);
  }
  return out;
}

/** "setosa 0.97, versicolor 0.03": the `top` most likely classes. */
export function topClasses(probabilities: Record<string, number>, top: number): string {
  return Object.entries(probabilities)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([label, p]) => `${label} ${p.toFixed(3)}`)
    .join(", ");
}

export async function predictCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(["json"]));
  rejectUnknownFlags(args, ["gateway", "token", "json", "row", "file", "top"]);
  const [modelId, extra] = args.positionals;
  if (!modelId) throw new UsageError(`usage: ${USAGE}`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const rowFlag = stringFlag(args, "row");
  const file = stringFlag(args, "file");
  if ((rowFlag === undefined) === (file === undefined)) throw new UsageError(`give exactly one of --row and --file (usage: ${USAGE})`);
  const top = intFlag(args, "top", 3, 1, 100);
  const gw = gatewayTarget({ gateway: stringFlag(args, "gateway"), token: stringFlag(args, "token") });

  let rows: Row[];
  if (rowFlag !== undefined) rows = [parseRowFlag(rowFlag)];
  else {
    let text: string;
    try {
      text = readFileSync(file!, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
    rows = csvRows(text, await featureTypes(gw, modelId));
    if (rows.length === 0) throw new UsageError(`${file} has a header but no rows`);
  }

  const result = await predictRows(gw, modelId, rows);
  if (args.flags.has("json")) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return 0;
  }
  const header = result.probabilities ? ["row", "prediction", "probabilities"] : ["row", "prediction"];
  printTable(
    header,
    result.predictions.map((p, i) => {
      const cells = [String(i), typeof p === "string" ? p : JSON.stringify(p)];
      if (result.probabilities) cells.push(topClasses(result.probabilities[i] ?? {}, top));
      return cells;
    }),
  );
  return 0;
}
