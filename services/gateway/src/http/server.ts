import { createServer, type Server } from "node:http";
import type { Logger } from "@dml/runtime";
import { bearerMatches } from "../auth.js";
import { HttpError, sendError } from "./errors.js";
import type { Router } from "./router.js";

/** Paths reachable without a token: liveness probes. */
const OPEN_PATHS = new Set(["/healthz"]);

export function createRestServer(opts: { router: Router; apiToken?: string; log: Logger }): Server {
  const { router, apiToken, log } = opts;
  return createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? "/", "http://gateway");
    res.on("finish", () =>
      log.debug({ method: req.method, path: url.pathname, status: res.statusCode, ms: +(performance.now() - started).toFixed(2) }, "request"),
    );
    void (async () => {
      try {
        if (apiToken && !OPEN_PATHS.has(url.pathname) && !bearerMatches(req.headers.authorization, apiToken)) {
          throw new HttpError(401, "UNAUTHENTICATED", "missing or wrong bearer token (Authorization: Bearer TOKEN)");
        }
        const { handler, params } = router.resolve(req.method ?? "GET", url.pathname);
        await handler({ req, res, url, params });
      } catch (err) {
        if (!(err instanceof HttpError)) log.debug({ err }, "request failed");
        sendError(res, err);
      }
    })();
  });
}
