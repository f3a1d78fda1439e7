// The batch predictions domain behind both edges (REST and gRPC): record a validated request in
// etcd (the scheduler leader runs it as a task on a trainer), read predictions back as views, and
// read their results from the stores, page by page or as one CSV stream.
import { DmlError } from "@dml/runtime";
import { storeV1 } from "@dml/proto";
import {
  newPredictionTask,
  predictionView,
  type BatchFetcher,
  type DatasetRepository,
  type ModelRepository,
  type PredictionRepository,
  type PredictionSnapshot,
  type PredictionSpec,
  type PredictionView,
  type ResultObjectJson,
} from "@dml/catalog";
import { checkId } from "../datasets/ids.js";
import { newPredictionId } from "./ids.js";
import { orderedResults, sliceResults } from "./paging.js";
import { ResultCsv, resultRows, type PredictionResultRow } from "./result-rows.js";
import { checkAgainstModel, checkCreateRequest, checkPage } from "./validate.js";

export interface PredictionsDeps {
  repo: PredictionRepository;
  models: ModelRepository;
  datasets: DatasetRepository;
  /** Reads result objects (verified, failing over across replicas; cached, as objects are immutable). */
  fetcher: BatchFetcher;
  now?: () => Date;
}

export interface PredictionFilter {
  modelId?: string;
  datasetId?: string;
}

export interface ResultsPage {
  rows: PredictionResultRow[];
  total: number;
}

export class Predictions {
  constructor(private readonly deps: PredictionsDeps) {}

  /** Validates and records a queued batch prediction (INVALID_ARGUMENT naming the field or column). */
  async create(body: unknown): Promise<PredictionView> {
    const req = checkCreateRequest(body);
    // The model and the dataset are part of the request: unknown ones make a bad request, not a missing resource.
    const [model, dataset] = await Promise.all([this.deps.models.get(req.modelId), this.deps.datasets.get(req.datasetId)]);
    if (!model) throw new DmlError("INVALID_ARGUMENT", `model ${req.modelId} not found`, { field: "modelId", modelId: req.modelId });
    if (!dataset) throw new DmlError("INVALID_ARGUMENT", `dataset ${req.datasetId} not found`, { field: "datasetId", datasetId: req.datasetId });
    checkAgainstModel(model, dataset);
    const spec: PredictionSpec = {
      id: newPredictionId(),
      modelId: model.id,
      datasetId: dataset.id,
      datasetRows: dataset.rows,
      ...(dataset.columns.some((c) => c.name === model.target) && { target: model.target }),
      createdAt: (this.deps.now?.() ?? new Date()).toISOString(),
    };
    const task = newPredictionTask(spec);
    await this.deps.repo.create(spec, task);
    return predictionView(spec, task);
  }

  async get(id: string): Promise<PredictionView> {
    const snap = await this.snapshot(id);
    return predictionView(snap.spec, snap.task);
  }

  /** Newest first; each filter applies only when set. */
  async list(filter: PredictionFilter = {}): Promise<PredictionView[]> {
    if (filter.modelId) checkId(filter.modelId, "modelId");
    if (filter.datasetId) checkId(filter.datasetId, "datasetId");
    const snaps = await this.deps.repo.list({ modelId: filter.modelId || undefined, datasetId: filter.datasetId || undefined });
    return snaps.map((s) => predictionView(s.spec, s.task));
  }

  /** Rows [offset, offset + limit) in dataset order, reading only the result objects that hold them. */
  async results(id: string, offset: number, limit: number): Promise<ResultsPage> {
    checkPage(offset, limit);
    const { results, total } = await this.succeeded(id);
    const rows: PredictionResultRow[] = [];
    for (const slice of sliceResults(results, offset, limit)) {
      rows.push(...resultRows(await this.fetch(id, slice.result), { offset: slice.offset, limit: slice.limit }));
    }
    return { rows, total };
  }

  /**
   * The whole result as CSV, one result object at a time (never all of it in memory). Checks the
   * prediction first, so its errors come before any byte.
   */
  async csv(id: string): Promise<{ id: string; chunks: AsyncIterable<Uint8Array> }> {
    const { results } = await this.succeeded(id);
    return { id, chunks: this.csvChunks(id, orderedResults(results)) };
  }

  private async *csvChunks(id: string, results: readonly ResultObjectJson[]): AsyncIterable<Uint8Array> {
    const csv = new ResultCsv();
    let headerSent = false;
    for (const result of results) {
      const rows = resultRows(await this.fetch(id, result));
      if (!headerSent) {
        yield Buffer.from(csv.header(rows[0]));
        headerSent = true;
      }
      if (rows.length > 0) yield Buffer.from(csv.lines(rows));
    }
    if (!headerSent) yield Buffer.from(csv.header(undefined));
  }

  private async snapshot(id: string): Promise<PredictionSnapshot> {
    return this.deps.repo.require(checkId(id, "predictionId"));
  }

  /** The result objects of a prediction that must have succeeded (FAILED_PRECONDITION otherwise). */
  private async succeeded(id: string): Promise<{ results: ResultObjectJson[]; total: number }> {
    const { spec, task } = await this.snapshot(id);
    if (task?.state !== "succeeded" || !task.results) {
      const state = task?.state ?? "queued";
      const why = state === "failed" ? `failed: ${task?.error ?? "unknown error"}` : `is ${state}`;
      throw new DmlError("FAILED_PRECONDITION", `prediction ${spec.id} ${why}; its results are there once it has succeeded`, { predictionId: spec.id, state });
    }
    const total = task.rows ?? task.results.reduce((n, r) => n + r.rows, 0);
    return { results: task.results, total };
  }

  private fetch(id: string, r: ResultObjectJson): Promise<Uint8Array> {
    return this.deps.fetcher.fetchObject({ ...r.object, kind: storeV1.ObjectKind.OBJECT_KIND_RESULT, what: `results of batch ${r.batchIndex} of prediction ${id}` });
  }
}
