// The OpenAPI 3.1 document of what the gateway serves today. Each issue that adds endpoints
// adds them here; test/gateway.e2e.test.ts checks every documented GET path answers.
const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const idParam = { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } };

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
    "/v1/datasets": {
      post: {
        summary: "Upload a CSV as a new dataset (streamed; parsed once into Arrow batches on R store replicas)",
        parameters: [
          { name: "name", in: "query", required: false, schema: { type: "string", maxLength: 256 }, description: "dataset name (required unless a multipart file name is given)" },
          { name: "types", in: "query", schema: { type: "string", examples: ["species:category,zip:string"] }, description: "type overrides: column:type pairs (integer, number, boolean, category, string)" },
          { name: "delimiter", in: "query", schema: { type: "string", maxLength: 3 }, description: "one character, or `tab`; default ," },
          { name: "rowsPerBatch", in: "query", schema: { type: "integer", minimum: 1, maximum: 1048576 }, description: "rows per Arrow record batch (default 65536)" },
        ],
        requestBody: {
          required: true,
          content: {
            "text/csv": { schema: { type: "string" } },
            "multipart/form-data": { schema: { type: "object", properties: { file: { type: "string", format: "binary" }, name: { type: "string" } }, required: ["file"] } },
          },
        },
        responses: {
          "201": { description: "The dataset", content: { "application/json": { schema: { $ref: "#/components/schemas/Dataset" } } } },
          "400": errorResponse("Bad CSV (details name the line and column) or bad parameters"),
          "413": errorResponse("Body larger than DML_MAX_UPLOAD_BYTES"),
          "503": errorResponse("No store or etcd reachable"),
        },
      },
      get: {
        summary: "Every dataset, newest first",
        responses: {
          "200": {
            description: "Datasets",
            content: { "application/json": { schema: { type: "object", properties: { datasets: { type: "array", items: { $ref: "#/components/schemas/Dataset" } } } } } },
          },
        },
      },
    },
    "/v1/datasets/{id}": {
      get: {
        summary: "One dataset: schema, statistics, replica health",
        parameters: [idParam],
        responses: {
          "200": { description: "The dataset", content: { "application/json": { schema: { $ref: "#/components/schemas/Dataset" } } } },
          "400": errorResponse("Bad id"),
          "404": errorResponse("No such dataset"),
        },
      },
      delete: {
        summary: "Delete a dataset: the manifest at once, then its batch files",
        parameters: [idParam],
        responses: { "204": { description: "Deleted" }, "400": errorResponse("Bad id"), "404": errorResponse("No such dataset") },
      },
    },
    "/v1/datasets/{id}/rows": {
      get: {
        summary: "A page of rows decoded from the Arrow batches",
        parameters: [
          idParam,
          { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 10000, default: 100 } },
        ],
        responses: {
          "200": {
            description: "Rows (numbers and booleans as JSON values, missing cells as null)",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    rows: { type: "array", items: { type: "object" } },
                    total: { type: "integer" },
                    columns: { type: "array", items: { type: "string" } },
                  },
                },
              },
            },
          },
          "400": errorResponse("Bad id or parameters"),
          "404": errorResponse("No such dataset"),
          "500": errorResponse("DATA_LOSS: every replica of a needed batch is missing or corrupt"),
        },
      },
    },
    "/v1/datasets/{id}/download": {
      get: {
        summary: "The whole dataset as CSV, or as one Arrow IPC stream",
        parameters: [idParam, { name: "format", in: "query", schema: { enum: ["csv", "arrow"], default: "csv" } }],
        responses: {
          "200": { description: "The file", content: { "text/csv": {}, "application/vnd.apache.arrow.stream": {} } },
          "400": errorResponse("Bad id or format"),
          "404": errorResponse("No such dataset"),
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
      Column: {
        type: "object",
        required: ["name", "type", "missing", "stats"],
        properties: {
          name: { type: "string" },
          type: { enum: ["integer", "number", "boolean", "category", "string"] },
          missing: { type: "integer", description: "empty cells and NA/NaN/null" },
          stats: {
            type: "object",
            properties: {
              min: { type: "number" },
              max: { type: "number" },
              mean: { type: "number" },
              std: { type: "number", description: "sample standard deviation" },
              distinct: { type: "integer" },
              distinctApproximate: { type: "boolean" },
              topValues: { type: "array", items: { type: "object", properties: { value: {}, count: { type: "integer" } } } },
            },
          },
        },
      },
      Dataset: {
        type: "object",
        required: ["id", "name", "rows", "columns", "batches", "bytes", "createdAt", "replicas"],
        properties: {
          id: { type: "string" },
          name: { type: "string" },
          rows: { type: "integer" },
          columns: { type: "array", items: { $ref: "#/components/schemas/Column" } },
          batches: { type: "integer", description: "number of Arrow record batches" },
          bytes: { type: "integer", description: "stored size of one replica" },
          createdAt: { type: "string", format: "date-time" },
          replicas: { type: "integer", description: "live replica count of the least-replicated batch" },
          warnings: { type: "array", items: { type: "string" } },
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
