// POST /v1/models/{id}/predict: online prediction. Benchmarked, so the path is kept short: the
// small body is read and parsed once, checked for shape only (the trainer validates rows against
// the model's features), and the answer is serialised once.
import type { IncomingMessage } from "node:http";
import { DmlError } from "@dml/runtime";
import type { Predictor } from "../domain/predict/predictor.js";
import { sendJson } from "./errors.js";
import { MAX_JSON_BYTES } from "./json-body.js";
import type { Router } from "./router.js";

export const MAX_PREDICT_ROWS = 10_000;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** 10,000 rows of a few hundred bytes each. */
const MAX_PREDICT_BODY_BYTES = 64 * MAX_JSON_BYTES;

const bad = (message: string, details: Record<string, unknown> = {}) => new DmlError("INVALID_ARGUMENT", message, details);

/** The body as text; a single-chunk body (the usual one-row request) is decoded without copying. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"]) > MAX_PREDICT_BODY_BYTES) {
      reject(bad(`the request body exceeds ${MAX_PREDICT_BODY_BYTES} bytes`, { field: "body", limitBytes: MAX_PREDICT_BODY_BYTES }));
      return;
    }
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PREDICT_BODY_BYTES) {
        req.removeAllListeners("data");
        reject(bad(`the request body exceeds ${MAX_PREDICT_BODY_BYTES} bytes`, { field: "body", limitBytes: MAX_PREDICT_BODY_BYTES }));
        return;
      }
      if (!first) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.once("end", () => resolve(more ? Buffer.concat(more).toString("utf8") : (first?.toString("utf8") ?? "")));
    req.once("error", reject);
  });
}

/** `{"rows": [{column: value}, ...]}` -> the rows; 400 naming what is wrong otherwise. */
export function parsePredictBody(text: string): Array<Record<string, unknown>> {
  if (text.length === 0 || /^\s*$/.test(text)) throw bad('the request body must be {"rows": [{column: value}, ...]}; it is empty', { field: "body" });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw bad(`the request body is not valid JSON: ${(err as Error).message}`, { field: "body" });
  }
  const rows = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { rows?: unknown }).rows : undefined;
  if (!Array.isArray(rows)) throw bad('the request body must be {"rows": [{column: value}, ...]}', { field: "rows" });
  if (rows.length === 0 || rows.length > MAX_PREDICT_ROWS) throw bad(`rows: send 1 to ${MAX_PREDICT_ROWS} rows, got ${rows.length}`, { field: "rows" });
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw bad(`row ${i}: must be an object of column -> value, got ${row === null ? "null" : Array.isArray(row) ? "an array" : typeof row}`, { row: i });
    }
  }
  return rows as Array<Record<string, unknown>>;
}

export function addPredictRoutes(router: Router, deps: { predictor: Predictor }): Router {
  const { predictor } = deps;
  return router.on("POST", "/v1/models/{id}/predict", async ({ req, res, params }) => {
    const modelId = params["id"]!;
    if (!ID_PATTERN.test(modelId)) {
      if (!req.complete) res.setHeader("connection", "close");
      throw bad(`model id must match ${ID_PATTERN.source}`, { field: "id" });
    }
    let rows;
    try {
      rows = parsePredictBody(await readBody(req));
    } catch (err) {
      // The rest of a refused body is not read: do not keep the connection for the next request.
      if (!req.complete) res.setHeader("connection", "close");
      throw err;
    }
    sendJson(res, 200, await predictor.predict(modelId, rows));
  });
}
