// The trainings domain behind both edges (REST and gRPC): record a validated request in etcd,
// read trainings back as views, request cancels, and follow one training's changes. The
// scheduler leader does the rest (it picks queued tasks up from etcd).
import type { Etcd3 } from "etcd3";
import { DmlError } from "@dml/runtime";
import {
  isTerminal,
  tasksForModel,
  trainingView,
  type DatasetRepository,
  type TrainingRepository,
  type TrainingSpec,
  type TrainingView,
} from "@dml/catalog";
import { checkId } from "../datasets/ids.js";
import { newModelId, newTrainingId } from "./ids.js";
import { checkAgainstDataset, checkCreateRequest } from "./validate.js";
import { openTrainingWatch, type TrainingWatch } from "./watch.js";

export interface TrainingsDeps {
  etcd: Etcd3;
  repo: TrainingRepository;
  datasets: DatasetRepository;
  now?: () => Date;
}

export class Trainings {
  constructor(private readonly deps: TrainingsDeps) {}

  /** Validates and records a training with one queued task per model (INVALID_ARGUMENT naming the problem). */
  async create(request: unknown): Promise<TrainingView> {
    const req = checkCreateRequest(request);
    const dataset = await this.deps.datasets.get(req.datasetId);
    // The dataset is part of the request: an unknown one is a bad request, not a missing resource.
    if (!dataset) throw new DmlError("INVALID_ARGUMENT", `dataset ${req.datasetId} not found`, { field: "datasetId", datasetId: req.datasetId });
    checkAgainstDataset(req, dataset);
    const id = newTrainingId();
    const spec: TrainingSpec = {
      id,
      datasetId: req.datasetId,
      target: req.target,
      task: req.task,
      models: req.models.map((m) => ({ modelId: newModelId(), algorithm: m.algorithm, params: m.params })),
      testFraction: req.testFraction,
      cvFolds: req.cvFolds,
      seed: req.seed,
      createdAt: (this.deps.now?.() ?? new Date()).toISOString(),
    };
    const tasks = spec.models.flatMap((m, i) => tasksForModel(id, m, i, spec.cvFolds));
    await this.deps.repo.create(spec, tasks);
    return trainingView(spec, tasks);
  }

  async get(id: string): Promise<TrainingView> {
    const snap = await this.deps.repo.require(checkId(id, "trainingId"));
    return trainingView(snap.spec, snap.tasks);
  }

  /** Newest first; only the dataset's trainings when datasetId is given. */
  async list(datasetId?: string): Promise<TrainingView[]> {
    if (datasetId) checkId(datasetId, "datasetId");
    const snaps = await this.deps.repo.list(datasetId || undefined);
    return snaps.map((s) => trainingView(s.spec, s.tasks));
  }

  /** Requests a cancel (idempotent); a training that already ended is returned unchanged. */
  async cancel(id: string): Promise<TrainingView> {
    const view = await this.get(id);
    if (isTerminal(view.state) || view.cancelRequested) return view;
    await this.deps.repo.requestCancel(id);
    return this.get(id);
  }

  /** See openTrainingWatch: rejects on a bad or unknown id, then streams until the training ends. */
  async watch(id: string, fromRevision?: number, signal?: AbortSignal): Promise<TrainingWatch> {
    checkId(id, "trainingId");
    if (fromRevision !== undefined && !(Number.isSafeInteger(fromRevision) && fromRevision >= 1)) {
      throw new DmlError("INVALID_ARGUMENT", `fromRevision must be a positive integer; got ${fromRevision}`, { field: "fromRevision" });
    }
    return openTrainingWatch(this.deps.etcd, this.deps.repo, id, fromRevision, signal);
  }
}
