// The OpenAPI 3.1 document of what the gateway serves today. Each issue that adds endpoints
// adds them here; test/gateway.e2e.test.ts checks every documented GET path answers.
const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

/** Every id in the API: nothing else may reach an etcd key or a file path. */
const idSchema = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" };
const idParam = { name: "id", in: "path", required: true, schema: idSchema };
/** An optional `?name=ID` list filter. */
const idFilter = (name: string, description: string) => ({ name, in: "query", required: false, schema: idSchema, description });

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
        parameters: [idFilter("datasetId", "only this dataset's trainings")],
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
    "/v1/models": {
      get: {
        summary: "Trained models in the registry, newest first",
        parameters: [
          idFilter("trainingId", "only this training's models"),
          idFilter("datasetId", "only models trained on this dataset"),
        ],
        responses: {
          "200": {
            description: "Models",
            content: { "application/json": { schema: { type: "object", properties: { models: { type: "array", items: { $ref: "#/components/schemas/Model" } } } } } },
          },
          "400": errorResponse("Bad filter id"),
        },
      },
    },
    "/v1/models/{id}": {
      get: {
        summary: "One model: metadata, metrics, evaluation plots' data, lineage",
        parameters: [idParam],
        responses: {
          "200": { description: "The model", content: { "application/json": { schema: { $ref: "#/components/schemas/Model" } } } },
          "400": errorResponse("Bad id"),
          "404": errorResponse("No such model"),
        },
      },
      delete: {
        summary: "Delete a model: the registry entry at once, then its file on every store and the trainers' cached copies",
        parameters: [idParam],
        responses: {
          "204": { description: "Deleted" },
          "400": errorResponse("Bad id"),
          "404": errorResponse("No such model (also on a repeated delete)"),
        },
      },
    },
    "/v1/models/{id}/download": {
      get: {
        summary: "The model document (versioned, self-describing JSON, data only: see packages/ml/MODEL_FORMAT.md), streamed from a verified replica",
        description:
          "Sent with Content-Length and `Content-Disposition: attachment; filename=\"<id>.json\"`. A replica that fails before the first " +
          "byte is replaced by the next one; a download that ends short of Content-Length failed and must be discarded.",
        parameters: [idParam],
        responses: {
          "200": { description: "The document", content: { "application/json": { schema: { type: "object" } } } },
          "400": errorResponse("Bad id"),
          "404": errorResponse("No such model"),
          "500": errorResponse("DATA_LOSS: every live replica is missing or corrupt"),
          "503": errorResponse("No replica can be reached"),
        },
      },
    },
    "/v1/models/{id}/predict": {
      post: {
        summary: "Online prediction: rows in, predictions (and class probabilities for classifiers) out",
        description:
          "Served from a trainer's model cache: the gateway routes each model to one trainer (rendezvous hashing over the live trainers) " +
          "so it stays loaded there, and fails over to the next trainer when that one is down. Every feature column must be present " +
          "(null for a missing value) with the model's type; other keys, such as the target, are ignored. Unseen categories are encoded " +
          "as the model's preprocessing says. Safe to retry.",
        parameters: [idParam],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["rows"],
                properties: { rows: { type: "array", minItems: 1, maxItems: 10000, items: { type: "object", additionalProperties: true } } },
              },
              example: { rows: [{ "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2 }] },
            },
          },
        },
        responses: {
          "200": {
            description: "One prediction per row, in order",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["predictions"],
                  properties: {
                    predictions: { type: "array", items: { type: ["string", "number", "boolean", "null"] }, description: "Class labels with the target's type, or numbers (regression)" },
                    probabilities: {
                      type: "array",
                      items: { type: "object", additionalProperties: { type: "number" } },
                      description: "Classifiers only: per row, class label (as text) -> probability, summing to 1",
                    },
                  },
                },
                example: { predictions: ["setosa"], probabilities: [{ setosa: 0.98, versicolor: 0.02, virginica: 0 }] },
              },
            },
          },
          "400": errorResponse("Bad id, a body that is not {rows: [...]} of 1 to 10000 objects, or a row that does not fit the model (the message names the row, 0-based, and the column)"),
          "404": errorResponse("No such model"),
          "503": errorResponse("No trainer can serve predictions right now"),
        },
      },
    },
    "/v1/predictions": {
      post: {
        summary: "Start a batch prediction of a model over a stored dataset (run as a task on a trainer, retried like training tasks)",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["modelId", "datasetId"],
                additionalProperties: false,
                properties: {
                  modelId: idSchema,
                  datasetId: { ...idSchema, description: "must hold every feature column of the model, with compatible types" },
                },
              },
            },
          },
        },
        responses: {
          "202": { description: "The prediction, queued (Location: /v1/predictions/{id})", content: { "application/json": { schema: { $ref: "#/components/schemas/Prediction" } } } },
          "400": errorResponse("Bad body or ids, unknown model or dataset, or a dataset lacking a feature column or holding an incompatible type (details.column names it)"),
        },
      },
      get: {
        summary: "Batch predictions, newest first",
        parameters: [
          idFilter("modelId", "only this model's predictions"),
          idFilter("datasetId", "only predictions over this dataset"),
        ],
        responses: {
          "200": {
            description: "Predictions",
            content: { "application/json": { schema: { type: "object", properties: { predictions: { type: "array", items: { $ref: "#/components/schemas/Prediction" } } } } } },
          },
          "400": errorResponse("Bad filter id"),
        },
      },
    },
    "/v1/predictions/{id}": {
      get: {
        summary: "One batch prediction: state, progress, rows and (when the dataset holds the target) metrics",
        parameters: [idParam],
        responses: {
          "200": { description: "The prediction", content: { "application/json": { schema: { $ref: "#/components/schemas/Prediction" } } } },
          "400": errorResponse("Bad id"),
          "404": errorResponse("No such prediction"),
        },
      },
    },
    "/v1/predictions/{id}/results": {
      get: {
        summary: "A page of a succeeded prediction's results in dataset order, or (format=csv) the whole result as CSV",
        description:
          "With format=csv: a `text/csv` attachment with the header `row,prediction[,probability_<class>...]`, streamed result object by " +
          "result object; a stream cut short (a replica failing mid-way) failed and must be discarded.",
        parameters: [
          idParam,
          { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 }, description: "0-based index of the first row" },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 10000, default: 100 } },
          { name: "format", in: "query", schema: { enum: ["json", "csv"], default: "json" } },
        ],
        responses: {
          "200": {
            description: "Rows and the total row count (JSON), or the CSV file",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["rows", "total"],
                  properties: { rows: { type: "array", items: { $ref: "#/components/schemas/PredictionRow" } }, total: { type: "integer" } },
                },
              },
              "text/csv": { schema: { type: "string" } },
            },
          },
          "400": errorResponse("Bad id, offset, limit or format"),
          "404": errorResponse("No such prediction"),
          "412": errorResponse("FAILED_PRECONDITION: the prediction has not succeeded (yet)"),
          "500": errorResponse("DATA_LOSS: every live replica of a result object is missing or corrupt"),
          "503": errorResponse("No replica of a result object can be reached"),
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
          id: idSchema,
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
          datasetId: idSchema,
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
      Model: {
        type: "object",
        required: ["id", "algorithm", "task", "target", "features", "params", "metrics", "trainingId", "datasetId", "createdAt", "sizeBytes", "format", "replicas"],
        properties: {
          id: { type: "string" },
          algorithm: { $ref: "#/components/schemas/Algorithm" },
          task: { enum: ["classification", "regression"] },
          target: { type: "string" },
          features: {
            type: "array",
            description: "input columns, in training-dataset order",
            items: { type: "object", required: ["name", "type"], properties: { name: { type: "string" }, type: { enum: ["integer", "number", "boolean", "category", "string"] } } },
          },
          classes: { type: "array", items: { type: ["string", "number", "boolean"] }, description: "classification only: labels in the model's order" },
          params: { type: "object", description: "effective hyper-parameters (scikit-learn names, defaults filled in)" },
          metrics: { type: "object", additionalProperties: { type: "number" }, description: "test-split metrics" },
          cvMetrics: { type: "object", additionalProperties: { $ref: "#/components/schemas/CvMetric" } },
          featureImportance: { type: "object", additionalProperties: { type: "number" }, description: "input column -> importance" },
          confusionMatrix: {
            type: "object",
            description: "rows: actual class, columns: predicted class, both in the order of labels",
            properties: { labels: { type: "array", items: { type: "string" } }, rows: { type: "array", items: { type: "array", items: { type: "integer" } } } },
          },
          rocCurve: {
            type: "array",
            description: "one curve for a binary classifier, one per class (one-vs-rest) otherwise",
            items: {
              type: "object",
              properties: {
                positiveClass: { type: "string" },
                auc: { type: "number" },
                points: { type: "array", items: { type: "object", properties: { fpr: { type: "number" }, tpr: { type: "number" }, threshold: { type: ["number", "string", "null"] } } } },
              },
            },
          },
          trainingId: { type: "string" },
          datasetId: { type: "string" },
          createdAt: { type: "string", format: "date-time" },
          sizeBytes: { type: "integer", description: "size of the model document" },
          format: { type: "string", examples: ["dml-model/1"] },
          replicas: { type: "integer", description: "live stores holding the model document" },
          trainer: { type: "string", description: "node that trained it" },
          fitSeconds: { type: "number", description: "time spent fitting, data loading excluded" },
        },
      },
      Prediction: {
        type: "object",
        required: ["id", "modelId", "datasetId", "state", "progress", "rows", "attempts", "createdAt"],
        properties: {
          id: { type: "string" },
          modelId: { type: "string" },
          datasetId: { type: "string" },
          state: { enum: ["queued", "running", "succeeded", "failed"], description: "a trainer dying mid-run sends it back to queued with its next attempt" },
          progress: { type: "number", minimum: 0, maximum: 1 },
          rows: { type: "integer", description: "rows predicted: the dataset's row count once succeeded, else 0" },
          metrics: { type: "object", additionalProperties: { type: "number" }, description: "when the dataset holds the model's target: the model's metrics over every row" },
          error: { type: "string", description: "why it failed" },
          trainer: { type: "string", description: "node running (or that ran) the current attempt" },
          attempts: { type: "integer", description: "attempts started so far" },
          createdAt: { type: "string", format: "date-time" },
          startedAt: { type: "string", format: "date-time" },
          finishedAt: { type: "string", format: "date-time" },
        },
      },
      PredictionRow: {
        type: "object",
        required: ["row", "prediction"],
        properties: {
          row: { type: "integer", description: "0-based index of the row in the dataset" },
          prediction: { type: ["string", "number", "boolean", "null"], description: "class label (with the target's type) or number" },
          probabilities: { type: "object", additionalProperties: { type: "number" }, description: "classifiers: class label (as text) -> probability" },
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
