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
    "/v1/trainings": {
      post: {
        summary: "Start a training: one task per model, queued for the trainers (validated first)",
        requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/CreateTrainingRequest" } } } },
        responses: {
          "202": { description: "The training, queued", content: { "application/json": { schema: { $ref: "#/components/schemas/Training" } } } },
          "400": errorResponse(
            "Invalid JSON, a body over 1 MiB, or a request the dataset cannot satisfy (details.field names it): unknown dataset, " +
              "target not a column, an algorithm that does not fit the task, unknown parameters or bad values, too few rows, a single class",
          ),
        },
      },
      get: {
        summary: "Every training, newest first",
        parameters: [{ name: "datasetId", in: "query", required: false, schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" }, description: "only this dataset's trainings" }],
        responses: {
          "200": {
            description: "Trainings",
            content: { "application/json": { schema: { type: "object", properties: { trainings: { type: "array", items: { $ref: "#/components/schemas/Training" } } } } } },
          },
          "400": errorResponse("Bad dataset id"),
        },
      },
    },
    "/v1/trainings/{id}": {
      get: {
        summary: "One training: state, per-model progress and metrics, leaderboard",
        parameters: [idParam],
        responses: {
          "200": { description: "The training", content: { "application/json": { schema: { $ref: "#/components/schemas/Training" } } } },
          "400": errorResponse("Bad id"),
          "404": errorResponse("No such training"),
        },
      },
    },
    "/v1/trainings/{id}/cancel": {
      post: {
        summary: "Cancel a training: queued models are dropped, running ones stop; idempotent, a finished training is returned unchanged",
        parameters: [idParam],
        responses: {
          "202": { description: "The training with cancelRequested set (its state turns cancelled once running models stopped)", content: { "application/json": { schema: { $ref: "#/components/schemas/Training" } } } },
          "400": errorResponse("Bad id"),
          "404": errorResponse("No such training"),
        },
      },
    },
    "/v1/trainings/{id}/events": {
      get: {
        summary: "Server-Sent Events of a training's progress and state changes, until it ends (resumable)",
        description:
          "Each event is `id: <etcd revision>`, `event: snapshot|progress|state`, `data: <Training JSON>`. Without a resume point the " +
          "first event is a snapshot. The stream ends after the event in which the training reaches a terminal state (a finished " +
          "training yields one snapshot). Resume with the `Last-Event-ID` header (EventSource does it) or `?fromRevision=`: every " +
          "change after that revision is replayed. A `: keepalive` comment is sent every 15 s. A reconnect whose Last-Event-ID is " +
          "past the end gets 204, which stops an EventSource.",
        parameters: [
          idParam,
          { name: "fromRevision", in: "query", required: false, schema: { type: "integer", minimum: 1 }, description: "revision of the last event received" },
          { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" }, description: "same as fromRevision; wins over it" },
        ],
        responses: {
          "200": { description: "The event stream", content: { "text/event-stream": { schema: { type: "string" } } } },
          "204": { description: "Resumed after the training had already ended: nothing more to send" },
          "400": errorResponse("Bad id or revision"),
          "404": errorResponse("No such training"),
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
      CvMetric: {
        type: "object",
        required: ["mean", "std", "folds"],
        properties: { mean: { type: "number" }, std: { type: "number", description: "sample standard deviation across folds" }, folds: { type: "array", items: { type: "number" } } },
      },
      TrainingModel: {
        type: "object",
        required: ["modelId", "algorithm", "params", "state", "progress", "metrics", "attempts"],
        properties: {
          modelId: { type: "string", description: "also the model's id in the registry once it succeeds" },
          algorithm: { $ref: "#/components/schemas/Algorithm" },
          params: { type: "object", description: "as requested (scikit-learn names)" },
          state: { $ref: "#/components/schemas/RunState" },
          progress: { type: "number", minimum: 0, maximum: 1 },
          progressMessage: { type: "string", examples: ["tree 40/100"] },
          metrics: { type: "object", additionalProperties: { type: "number" }, description: "test-split metrics once succeeded" },
          cvMetrics: { type: "object", additionalProperties: { $ref: "#/components/schemas/CvMetric" } },
          error: { type: "string" },
          trainer: { type: "string", description: "node id of the trainer of the current (or last) attempt" },
          attempts: { type: "integer", description: "attempts started so far; a model fails after 3" },
          startedAt: { type: "string", format: "date-time" },
          finishedAt: { type: "string", format: "date-time" },
          folds: {
            type: "array",
            description: "with cvFolds > 1: the cross-validation folds, each run as a task of its own before the final model",
            items: {
              type: "object",
              required: ["fold", "state", "progress", "attempts", "metrics"],
              properties: {
                fold: { type: "integer", description: "0-based" },
                state: { $ref: "#/components/schemas/RunState" },
                progress: { type: "number", minimum: 0, maximum: 1 },
                trainer: { type: "string" },
                attempts: { type: "integer" },
                metrics: { type: "object", additionalProperties: { type: "number" }, description: "the fold's metrics once succeeded" },
                error: { type: "string" },
              },
            },
          },
        },
      },
      Training: {
        type: "object",
        required: ["id", "datasetId", "target", "task", "state", "progress", "models", "leaderboard", "primaryMetric", "testFraction", "cvFolds", "seed", "cancelRequested", "createdAt"],
        properties: {
          id: { type: "string" },
          datasetId: { type: "string" },
          target: { type: "string" },
          task: { enum: ["classification", "regression"] },
          state: { $ref: "#/components/schemas/RunState" },
          progress: { type: "number", minimum: 0, maximum: 1, description: "mean of the models' progress" },
          models: { type: "array", items: { $ref: "#/components/schemas/TrainingModel" }, description: "in request order" },
          leaderboard: { type: "array", items: { type: "string" }, description: "model ids of the succeeded models, best first" },
          primaryMetric: { type: "string", examples: ["accuracy", "r2"], description: "what the leaderboard ranks by (its CV mean when cvFolds > 1)" },
          testFraction: { type: "number" },
          cvFolds: { type: "integer" },
          seed: { type: "integer" },
          cancelRequested: { type: "boolean" },
          error: { type: "string" },
          createdAt: { type: "string", format: "date-time" },
          finishedAt: { type: "string", format: "date-time", description: "set once the training reached a terminal state" },
        },
      },
      CreateTrainingRequest: {
        type: "object",
        required: ["datasetId", "target", "task", "models"],
        additionalProperties: false,
        properties: {
          datasetId: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
          target: { type: "string", description: "the column to predict; the other columns are the features" },
          task: { enum: ["classification", "regression"], description: "regression needs an integer or number target" },
          models: {
            type: "array",
            minItems: 1,
            maxItems: 32,
            items: {
              type: "object",
              required: ["algorithm"],
              additionalProperties: false,
              properties: {
                algorithm: { $ref: "#/components/schemas/Algorithm" },
                params: { type: "object", description: "scikit-learn names and meanings, e.g. {\"n_estimators\": 100, \"max_depth\": 8}" },
              },
            },
          },
          testFraction: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.2 },
          cvFolds: { type: "integer", minimum: 0, maximum: 20, default: 0, description: "k-fold cross-validation on the training split; 0 or 1: none" },
          seed: { type: "integer", minimum: 0, maximum: 4294967295, default: 42 },
        },
      },
      Algorithm: {
        enum: ["random_forest", "gradient_boosting", "decision_tree", "logistic_regression", "linear_regression", "svm", "naive_bayes", "knn"],
        description: "logistic_regression, svm, naive_bayes: classification only; linear_regression: regression only",
      },
      RunState: { enum: ["queued", "running", "succeeded", "failed", "cancelled"] },
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
