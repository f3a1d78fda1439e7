// REST routes for batch predictions (DESIGN.md): parse, delegate to the Predictions domain, shape
// JSON; ?format=csv streams the whole result as a CSV attachment.
import type { Predictions } from "../domain/predictions/predictions.js";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../domain/predictions/validate.js";
import { sendJson } from "./errors.js";
import { enumParam, intParam } from "./query.js";
import type { Router } from "./router.js";
import { pipeChunks, readJsonRequest } from "./streaming.js";

export function addPredictionRoutes(router: Router, deps: { predictions: Predictions }): Router {
  const { predictions } = deps;
  return router
    .on("POST", "/v1/predictions", async ({ req, res }) => {
      const prediction = await predictions.create(await readJsonRequest(req, res));
      sendJson(res, 202, prediction, { location: `/v1/predictions/${prediction.id}` });
    })
    .on("GET", "/v1/predictions", async ({ res, url }) => {
      const filter = { modelId: url.searchParams.get("modelId") ?? undefined, datasetId: url.searchParams.get("datasetId") ?? undefined };
      sendJson(res, 200, { predictions: await predictions.list(filter) });
    })
    .on("GET", "/v1/predictions/{id}", async ({ res, params }) => sendJson(res, 200, await predictions.get(params["id"]!)))
    .on("GET", "/v1/predictions/{id}/results", async ({ res, url, params }) => {
      const id = params["id"]!;
      if (enumParam(url, "format", ["json", "csv"], "json") === "csv") {
        // Errors (unknown id, not succeeded) come before the headers; a replica failing mid-stream cuts it short.
        const csv = await predictions.csv(id);
        res.writeHead(200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${csv.id}.csv"` });
        await pipeChunks(res, csv.chunks);
        return;
      }
      const offset = intParam(url, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(url, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
      sendJson(res, 200, await predictions.results(id, offset, limit));
    });
}
