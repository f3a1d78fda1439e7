// REST routes for the model registry (DESIGN.md): list, get, download, delete. Online prediction
// (POST /v1/models/{id}/predict) has its own route file.
import type { ServerResponse } from "node:http";
import type { Models } from "../domain/models/models.js";
import { sendJson } from "./errors.js";
import type { Router } from "./router.js";

/** Waits for the socket to take more, or for the client to go away (then no drain ever comes). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** Leaving the loop early (client gone) ends the chunks' iterator, which closes the store read. */
async function pipeChunks(res: ServerResponse, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of chunks) {
    if (!res.write(chunk)) await drained(res);
    if (res.destroyed) return;
  }
  res.end();
}

export function addModelRoutes(router: Router, deps: { models: Models }): Router {
  const { models } = deps;
  return router
    .on("GET", "/v1/models", async ({ res, url }) => {
      const filter = { trainingId: url.searchParams.get("trainingId") ?? undefined, datasetId: url.searchParams.get("datasetId") ?? undefined };
      sendJson(res, 200, { models: await models.list(filter) });
    })
    .on("GET", "/v1/models/{id}", async ({ res, params }) => sendJson(res, 200, await models.get(params["id"]!)))
    .on("GET", "/v1/models/{id}/download", async ({ res, params }) => {
      const doc = await models.download(params["id"]!);
      // content-length lets a client tell a download cut short (a replica failing mid-stream) from a whole one.
      res.writeHead(200, {
        "content-type": "application/json",
        "content-disposition": `attachment; filename="${doc.id}.json"`,
        "content-length": doc.size,
      });
      await pipeChunks(res, doc.chunks);
    })
    .on("DELETE", "/v1/models/{id}", async ({ res, params }) => {
      await models.delete(params["id"]!);
      res.writeHead(204).end();
    });
}
