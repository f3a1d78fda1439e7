// Batch predictions as etcd records, laid out like trainings:
//
//   /dml/predictions/<predictionId>/spec             PredictionSpec: written by the gateway at create,
//                                                     with its one task, in one transaction
//   /dml/predictions/<predictionId>/tasks/<taskId>   TaskRecord (kind "predict"): then written only
//                                                     by the scheduler leader, fenced
//
// The task's result objects (one Arrow IPC stream per dataset batch: row, prediction and, for
// classifiers, one probability column per class) are on the stores under
// predictions/<predictionId>/attempt-<n>/<batch>.arrow.
import { isTerminal, PREDICTIONS_PREFIX, type RunState, type TaskRecord } from "./trainings.js";

export const predictionPrefix = (id: string) => `${PREDICTIONS_PREFIX}${id}/`;
export const predictionSpecKey = (id: string) => `${PREDICTIONS_PREFIX}${id}/spec`;
export const resultKeyPrefix = (predictionId: string, attempt: number) => `predictions/${predictionId}/attempt-${attempt}/`;

export interface PredictionSpec {
  id: string;
  modelId: string;
  datasetId: string;
  /** Rows of the dataset at create time. */
  datasetRows: number;
  /** The model's target column, when the dataset holds it (then the prediction reports metrics). */
  target?: string;
  createdAt: string;
}

export function newPredictionTask(spec: PredictionSpec): TaskRecord {
  return { id: spec.id, kind: "predict", jobId: spec.id, modelId: spec.modelId, index: 0, state: "queued", attempt: 0, progress: 0, history: [] };
}

/** A batch prediction as users see it (the REST shape of DESIGN.md, plus detail). */
export interface PredictionView {
  id: string;
  modelId: string;
  datasetId: string;
  state: Exclude<RunState, "cancelled"> | "cancelled";
  progress: number;
  /** Rows predicted: the dataset's rows once succeeded. */
  rows: number;
  metrics?: Record<string, number>;
  error?: string;
  trainer?: string;
  attempts: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export function predictionView(spec: PredictionSpec, task: TaskRecord | undefined): PredictionView {
  const state = task?.state ?? "queued";
  return {
    id: spec.id,
    modelId: spec.modelId,
    datasetId: spec.datasetId,
    state,
    progress: state === "succeeded" ? 1 : (task?.progress ?? 0),
    rows: state === "succeeded" ? (task?.rows ?? spec.datasetRows) : 0,
    ...(task?.metrics && Object.keys(task.metrics).length > 0 && { metrics: task.metrics }),
    ...(task?.error !== undefined && { error: task.error }),
    ...(task?.trainer !== undefined && { trainer: task.trainer }),
    attempts: task?.attempt ?? 0,
    createdAt: spec.createdAt,
    ...(task?.startedAt && { startedAt: task.startedAt }),
    ...(task?.finishedAt && isTerminal(state) && { finishedAt: task.finishedAt }),
  };
}
