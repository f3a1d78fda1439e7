// A small router over node:http: exact paths with {param} segments, one handler per method.
// Kept tiny on purpose: uploads and Server-Sent Events need the raw request/response streams.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./errors.js";

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;
type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

interface Route {
  pattern: string;
  segments: string[];
  handlers: Partial<Record<Method, Handler>>;
}

export class Router {
  private readonly routes: Route[] = [];

  on(method: Method, pattern: string, handler: Handler): this {
    let route = this.routes.find((r) => r.pattern === pattern);
    if (!route) {
      route = { pattern, segments: pattern.split("/").filter(Boolean), handlers: {} };
      this.routes.push(route);
    }
    route.handlers[method] = handler;
    return this;
  }

  /** The matching handler and path params; throws HttpError 404/405. */
  resolve(method: string, pathname: string): { handler: Handler; params: Record<string, string> } {
    const parts = pathname.split("/").filter(Boolean);
    // 405 only when no route matching the path takes the method: an earlier pattern such as
    // /a/{id} (GET) must not hide a later /a/b (POST).
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = match(route.segments, parts);
      if (!params) continue;
      const handler = route.handlers[(method === "HEAD" ? "GET" : method) as Method];
      if (handler) return { handler, params };
      for (const m of Object.keys(route.handlers)) allowed.add(m);
    }
    if (allowed.size > 0) {
      throw new HttpError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on ${pathname}`, {
        allowed: [...allowed],
      });
    }
    throw new HttpError(404, "NOT_FOUND", `no route for ${method} ${pathname}`);
  }
}

function match(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    let part: string;
    try {
      part = decodeURIComponent(parts[i]!);
    } catch {
      return undefined;
    }
    if (seg.startsWith("{") && seg.endsWith("}")) params[seg.slice(1, -1)] = part;
    else if (seg !== part) return undefined;
  }
  return params;
}
