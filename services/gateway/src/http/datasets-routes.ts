// REST routes for datasets (DESIGN.md): validate, delegate to the Datasets domain, shape JSON.
import type { IncomingMessage, ServerResponse } from "node:http";
import { DmlError } from "@dml/runtime";
import type { Datasets } from "../domain/datasets/datasets.js";
import { COLUMN_TYPES, type ColumnType } from "../domain/datasets/types.js";
import { sendJson } from "./errors.js";
import { enumParam, intParam } from "./query.js";
import type { Router } from "./router.js";
import { pipeChunks } from "./streaming.js";
import { readUploadBody } from "./upload-body.js";

/** `types=col:category,other:string` -> { col: "category", other: "string" }. */
export function parseTypeOverrides(raw: string | null | undefined): Record<string, ColumnType> | undefined {
  if (!raw) return undefined;
  const out: Record<string, ColumnType> = {};
  for (const part of raw.split(",").filter(Boolean)) {
    const at = part.lastIndexOf(":");
    const column = at > 0 ? part.slice(0, at) : "";
    const type = part.slice(at + 1) as ColumnType;
    if (!column || !COLUMN_TYPES.includes(type)) {
      throw new DmlError("INVALID_ARGUMENT", `types must be column:type pairs with type one of ${COLUMN_TYPES.join(", ")}; got "${part}"`, {
        field: "types",
      });
    }
    out[column] = type;
  }
  return out;
}

/** `delimiter=;` (or `tab`, `\t`): one character. */
export function parseDelimiter(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const d = raw === "tab" || raw === "\\t" ? "\t" : raw;
  if ([...d].length !== 1 || d === '"' || d === "\n" || d === "\r") {
    throw new DmlError("INVALID_ARGUMENT", "delimiter must be one character other than a quote or a line break", { field: "delimiter" });
  }
  return d;
}

/** How long a refused upload's connection is kept, unread, for the client to read the answer. */
const LINGER_MS = 2_000;

/**
 * Answers a failed upload on a connection whose body was not read to the end, without reading
 * the rest of it. Destroying the socket right after the answer is not enough: with unread bytes
 * in it the kernel answers with a TCP RST, which can reach a client still sending before it has
 * read the answer (it then sees ECONNRESET, not the 413 or 400). So: stop reading (a paused
 * request stops its socket once its small buffer is full; read(0) marks the body consumed, so
 * Node does not drain it after the answer), half-close after the answer, and drop the socket
 * when the client hangs up or after LINGER_MS.
 */
function closeUnread(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader("connection", "close");
  if (req.complete) return; // read to the end: Node's own close after the answer is right
  req.unpipe(); // a multipart parser
  req.pause();
  req.read(0);
  // res.socket, not req.socket: a request whose iteration was cut short has already let go of it.
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  // After a Connection: close answer Node calls destroySoon(): end, then destroy once flushed,
  // which is the RST case above. Half-close only; the timer below destroys.
  socket.destroySoon = () => void socket.end();
  res.once("finish", () => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once("close", () => clearTimeout(timer));
  });
}

export function addDatasetRoutes(router: Router, deps: { datasets: Datasets; maxUploadBytes: number }): Router {
  const { datasets } = deps;
  return router
    .on("POST", "/v1/datasets", async ({ req, res, url }) => {
      // Whatever happens, a failed upload's unread body is not drained: close the connection.
      const closeOnError = (err: unknown) => {
        closeUnread(req, res);
        throw err;
      };
      try {
        const body = await readUploadBody(req, deps.maxUploadBytes);
        const name = url.searchParams.get("name") ?? body.fields["name"] ?? body.filename;
        if (!name || name.length > 256) {
          throw new DmlError("INVALID_ARGUMENT", "name is required (?name=NAME, 1 to 256 characters)", { field: "name" });
        }
        const dataset = await datasets.upload({
          name,
          delimiter: parseDelimiter(url.searchParams.get("delimiter") ?? body.fields["delimiter"]),
          types: parseTypeOverrides(url.searchParams.get("types") ?? body.fields["types"]),
          rowsPerBatch: intParam(url, "rowsPerBatch", 0, 0, 1_048_576) || undefined,
          chunks: body.chunks,
        });
        sendJson(res, 201, dataset, { location: `/v1/datasets/${dataset.id}` });
      } catch (err) {
        closeOnError(err);
      }
    })
    .on("GET", "/v1/datasets", async ({ res }) => sendJson(res, 200, { datasets: await datasets.list() }))
    .on("GET", "/v1/datasets/{id}", async ({ res, params }) => sendJson(res, 200, await datasets.get(params["id"]!)))
    .on("GET", "/v1/datasets/{id}/rows", async ({ res, url, params }) => {
      const offset = intParam(url, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(url, "limit", 100, 1, 10_000);
      const page = await datasets.rows(params["id"]!, offset, limit);
      sendJson(res, 200, { rows: page.rows, total: page.total, columns: page.columns });
    })
    .on("GET", "/v1/datasets/{id}/download", async ({ res, url, params }) => {
      const format = enumParam(url, "format", ["csv", "arrow"] as const, "csv");
      const id = params["id"]!;
      const { name, chunks } = await datasets.download(id, format);
      const filename = `${name.replace(/[^A-Za-z0-9_.-]/g, "_") || id}.${format === "csv" ? "csv" : "arrows"}`;
      res.writeHead(200, {
        "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/vnd.apache.arrow.stream",
        "content-disposition": `attachment; filename="${filename}"`,
      });
      await pipeChunks(res, chunks);
    })
    .on("DELETE", "/v1/datasets/{id}", async ({ res, params }) => {
      await datasets.delete(params["id"]!);
      res.writeHead(204).end();
    });
}
