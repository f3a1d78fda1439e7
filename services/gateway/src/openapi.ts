// The OpenAPI 3.1 document of what the gateway serves today. Each issue that adds endpoints
// adds them here; test/gateway.e2e.test.ts checks every documented GET path answers.
const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "DML REST API",
    version: "0.1.0",
    description:
      "DML, a distributed machine-learning platform for tabular data. Errors are JSON: " +
      '{"error": {"code", "message", "details"}} with the matching HTTP status. When the gateway ' +
      "runs with DML_API_TOKEN, every request except /healthz needs `Authorization: Bearer TOKEN`.",
  },
  servers: [{ url: "http://127.0.0.1:8080" }],
  security: [{ bearer: [] }],
  paths: {
    "/healthz": {
      get: {
        summary: "Liveness of the gateway",
        security: [],
        responses: {
          "200": {
            description: "The gateway is up",
            content: { "application/json": { schema: { type: "object", properties: { status: { const: "ok" } } } } },
          },
        },
      },
    },
    "/v1/cluster": {
      get: {
        summary: "Every live node of every role, the gateway included, with the leader scheduler marked",
        responses: {
          "200": {
            description: "The cluster",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Cluster" } } },
          },
          "401": errorResponse("Missing or wrong bearer token"),
          "503": errorResponse("etcd is unreachable"),
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document",
        responses: { "200": { description: "OpenAPI 3.1 document", content: { "application/json": {} } } },
      },
    },
    "/docs": {
      get: {
        summary: "A browsable page of this document",
        responses: { "200": { description: "HTML", content: { "text/html": {} } } },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message", "details"],
            properties: {
              code: { type: "string", examples: ["INVALID_ARGUMENT", "NOT_FOUND", "UNAVAILABLE"] },
              message: { type: "string" },
              details: { type: "object" },
            },
          },
        },
      },
      Node: {
        type: "object",
        required: ["id", "role", "address", "state"],
        properties: {
          id: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
          role: { enum: ["scheduler", "trainer", "store", "gateway", "etcd"] },
          address: { type: "string", description: "gRPC host:port" },
          http: { type: "string", description: "gateways: HTTP base URL" },
          state: { enum: ["up", "draining", "down"], description: "etcd members can be down; DML nodes vanish when they die" },
          leader: { type: "boolean", description: "schedulers: true for the leader" },
          slots: { type: "integer", description: "trainers: concurrent task slots" },
          stats: { type: "object", additionalProperties: { type: "number" } },
          startedAt: { type: "string", format: "date-time" },
          version: { type: "string" },
          pid: { type: "integer" },
        },
      },
      Cluster: {
        type: "object",
        required: ["leader", "nodes"],
        properties: {
          leader: { type: ["string", "null"], description: "node id of the leader scheduler" },
          nodes: { type: "array", items: { $ref: "#/components/schemas/Node" } },
        },
      },
    },
  },
} as const;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** A dependency-free page listing the document's operations (no CDN: the network is closed). */
export function docsPage(): string {
  const rows = Object.entries(openApiDocument.paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) =>
          `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(
            (op as { summary: string }).summary,
          )}</td></tr>`,
      ),
    )
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>DML API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td{padding:.3rem .8rem;border-bottom:1px solid #ddd}</style>
</head><body><h1>${escapeHtml(openApiDocument.info.title)} ${openApiDocument.info.version}</h1>
<p>${escapeHtml(openApiDocument.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<table>${rows}</table></body></html>`;
}
