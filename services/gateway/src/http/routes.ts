import type { Etcd3 } from "etcd3";
import { readClusterView } from "../domain/cluster-view.js";
import { openApiDocument, docsPage } from "../openapi.js";
import { sendJson } from "./errors.js";
import { Router } from "./router.js";
import { addDatasetRoutes } from "./datasets-routes.js";
import type { Datasets } from "../domain/datasets/datasets.js";
import type { Trainings } from "../domain/trainings/trainings.js";
import { addTrainingRoutes } from "./trainings-routes.js";
import { addPredictRoutes } from "./predict-routes.js";
import type { Predictor } from "../domain/predict/predictor.js";
import type { Models } from "../domain/models/models.js";
import { addModelRoutes } from "./models-routes.js";
import type { Predictions } from "../domain/predictions/predictions.js";
import { addPredictionRoutes } from "./predictions-routes.js";

export function buildRouter(deps: { etcd: Etcd3; datasets: Datasets; trainings: Trainings; models?: Models; predictor?: Predictor; predictions?: Predictions; maxUploadBytes: number }): Router {
  const router = new Router()
    .on("GET", "/healthz", ({ res }) => sendJson(res, 200, { status: "ok" }))
    .on("GET", "/v1/cluster", async ({ res }) => {
      const view = await readClusterView(deps.etcd);
      sendJson(res, 200, { leader: view.leader, nodes: view.nodes });
    })
    .on("GET", "/openapi.json", ({ res }) => sendJson(res, 200, openApiDocument))
    .on("GET", "/docs", ({ res }) => {
      const html = docsPage();
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(html) });
      res.end(html);
    });
  addTrainingRoutes(addDatasetRoutes(router, deps), deps);
  // Optional so a test of another domain can build a router without the registry.
  if (deps.models) addModelRoutes(router, { models: deps.models });
  if (deps.predictor) addPredictRoutes(router, { predictor: deps.predictor });
  if (deps.predictions) addPredictionRoutes(router, { predictions: deps.predictions });
  return router;
}
