// REST routes for trainings (DESIGN.md): parse, delegate to the Trainings domain, shape JSON;
// the events route streams the domain's watch as Server-Sent Events.
import type { IncomingMessage } from "node:http";
import { DmlError } from "@dml/runtime";
import type { Trainings } from "../domain/trainings/trainings.js";
import { sendJson } from "./errors.js";
import { readJsonRequest } from "./streaming.js";
import type { Router } from "./router.js";
import { SseStream } from "./sse.js";

/** `Last-Event-ID` (an EventSource reconnecting) wins over `?fromRevision=` (the URL it first used). */
export function resumeRevision(req: IncomingMessage, url: URL): { revision?: number; fromHeader: boolean } {
  const header = req.headers["last-event-id"];
  const fromHeader = typeof header === "string" && header.trim() !== "";
  const raw = fromHeader ? header.trim() : url.searchParams.get("fromRevision");
  if (raw === null || raw === "") return { fromHeader: false };
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) {
    const field = fromHeader ? "Last-Event-ID" : "fromRevision";
    throw new DmlError("INVALID_ARGUMENT", `${field} must be a revision (a positive integer) from an earlier event; got ${JSON.stringify(raw.slice(0, 40))}`, {
      field,
    });
  }
  return { revision: Number(raw), fromHeader };
}

export function addTrainingRoutes(router: Router, deps: { trainings: Trainings }): Router {
  const { trainings } = deps;
  return router
    .on("POST", "/v1/trainings", async ({ req, res }) => {
      const training = await trainings.create(await readJsonRequest(req, res));
      sendJson(res, 202, training, { location: `/v1/trainings/${training.id}` });
    })
    .on("GET", "/v1/trainings", async ({ res, url }) => {
      sendJson(res, 200, { trainings: await trainings.list(url.searchParams.get("datasetId") ?? undefined) });
    })
    .on("GET", "/v1/trainings/{id}", async ({ res, params }) => sendJson(res, 200, await trainings.get(params["id"]!)))
    .on("POST", "/v1/trainings/{id}/cancel", async ({ res, params }) => sendJson(res, 202, await trainings.cancel(params["id"]!)))
    .on("GET", "/v1/trainings/{id}/events", async ({ req, res, url, params }) => {
      const { revision, fromHeader } = resumeRevision(req, url);
      const stop = new AbortController();
      res.once("close", () => stop.abort());
      const watch = await trainings.watch(params["id"]!, revision, stop.signal);
      // An EventSource reconnects whenever a stream ends; 204 is what tells it the training is over.
      if (fromHeader && watch.resumedAfterEnd) {
        res.writeHead(204).end();
        return;
      }
      const sse = new SseStream(res);
      try {
        for await (const event of watch) {
          await sse.send({ id: event.revision, event: event.kind, data: JSON.stringify(event.training) });
          if (stop.signal.aborted) break;
        }
      } finally {
        sse.end();
      }
    });
}
