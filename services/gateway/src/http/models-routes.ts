// REST routes for the model registry (DESIGN.md): list, get, download, delete. Online prediction
// (POST /v1/models/{id}/predict) has its own route file.
import type { Models } from "../domain/models/models.js";
import { sendJson } from "./errors.js";
import type { Router } from "./router.js";
import { pipeChunks } from "./streaming.js";

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
