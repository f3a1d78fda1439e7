import type { Etcd3 } from "etcd3";
import { readClusterView } from "../domain/cluster-view.js";
import { openApiDocument, docsPage } from "../openapi.js";
import { sendJson } from "./errors.js";
import { Router } from "./router.js";
import { addDatasetRoutes } from "./datasets-routes.js";
import type { Datasets } from "../domain/datasets/datasets.js";
import type { Trainings } from "../domain/trainings/trainings.js";
import { addTrainingRoutes } from "./trainings-routes.js";

export function buildRouter(deps: { etcd: Etcd3; datasets: Datasets; trainings: Trainings; maxUploadBytes: number }): Router {
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
  return addTrainingRoutes(addDatasetRoutes(router, deps), deps);
}
