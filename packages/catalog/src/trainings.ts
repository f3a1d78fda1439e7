// Trainings, their tasks and the model registry entries, as etcd records. (Batch predictions,
// the other kind of job, have the same layout under /dml/predictions/: see predictions.ts.)
//
//   /dml/trainings/<trainingId>/spec             TrainingSpec: written by the gateway at create
//                                                 (with every task, in one transaction) and at cancel
//   /dml/trainings/<trainingId>/tasks/<taskId>   TaskRecord: after creation, written only by the
//                                                 scheduler leader, fenced (leader key revision +
//                                                 the record's own mod revision)
//   /dml/models/<modelId>                        ModelRecord: written by the leader in the same
//                                                 transaction that records a task's success
//
// One watchable prefix per training is what lets a client resume its event stream from a revision.
// A training's state and progress are never stored: they derive from its tasks (trainingView).

export const TRAININGS_PREFIX = "/dml/trainings/";
export const trainingPrefix = (id: string) => `${TRAININGS_PREFIX}${id}/`;
export const trainingSpecKey = (id: string) => `${TRAININGS_PREFIX}${id}/spec`;
export const taskKey = (trainingId: string, taskId: string) => `${TRAININGS_PREFIX}${trainingId}/tasks/${taskId}`;
export const PREDICTIONS_PREFIX = "/dml/predictions/";

/** The two kinds of job whose tasks the scheduler runs, and where each keeps its records. */
export type JobKind = "training" | "prediction";
export const JOB_PREFIXES: Readonly<Record<JobKind, string>> = { training: TRAININGS_PREFIX, prediction: PREDICTIONS_PREFIX };
export const jobSpecKey = (kind: JobKind, jobId: string) => `${JOB_PREFIXES[kind]}${jobId}/spec`;
export const jobTaskKey = (kind: JobKind, jobId: string, taskId: string) => `${JOB_PREFIXES[kind]}${jobId}/tasks/${taskId}`;
export const jobKindOf = (task: Pick<TaskRecord, "kind">): JobKind => (task.kind === "predict" ? "prediction" : "training");
export const MODELS_PREFIX = "/dml/models/";
export const modelKey = (id: string) => `${MODELS_PREFIX}${id}`;

/** Attempts a task gets before it fails for good (a poison task never loops forever). */
export const MAX_ATTEMPTS = 3;

export type TaskType = "classification" | "regression";
export type RunState = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(["succeeded", "failed", "cancelled"]);
export const isTerminal = (s: RunState) => TERMINAL_STATES.has(s);

export interface CvMetricJson {
  mean: number;
  std: number;
  folds: number[];
}

export interface ModelSpecJson {
  modelId: string;
  algorithm: string;
  /** As requested (scikit-learn names). */
  params: Record<string, unknown>;
}

export interface TrainingSpec {
  id: string;
  datasetId: string;
  target: string;
  task: TaskType;
  models: ModelSpecJson[];
  testFraction: number;
  cvFolds: number;
  seed: number;
  createdAt: string;
  cancelRequested?: boolean;
  cancelRequestedAt?: string;
}

/** One ended attempt, kept so a task's record tells its whole story. */
export interface AttemptRecord {
  attempt: number;
  trainer: string;
  outcome: "succeeded" | "failed" | "cancelled" | "lost";
  error?: string;
  at: string;
}

export interface StoredObjectJson {
  key: string;
  size: number;
  checksum: { algorithm: "crc32c" | "sha256"; value: string };
  replicas: string[];
}

/** One result object of a batch prediction task: the predictions of one dataset batch. */
export interface ResultObjectJson {
  batchIndex: number;
  rows: number;
  object: StoredObjectJson;
}

export interface TaskRecord {
  id: string;
  /** train: fit (or one CV fold of) a model of a training; predict: a batch prediction. */
  kind: "train" | "predict";
  /** The training or prediction the task belongs to (see jobKindOf). */
  jobId: string;
  /** train: the model being trained; predict: the model predicting. */
  modelId: string;
  /** Queue order within the job (a training's model position). */
  index: number;
  /** A cross-validation fold task (0-based): fits and scores that fold only, writes no model. */
  fold?: number;
  /** The final-model task of a model with fold tasks: it waits for this many folds, then records their merged metrics. */
  folds?: number;
  state: RunState;
  /** Attempts started so far; the current attempt's number while running. */
  attempt: number;
  /** Trainer of the current (or last) attempt. */
  trainer?: string;
  assignedAt?: string;
  progress: number;
  message?: string;
  metrics?: Record<string, number>;
  cvMetrics?: Record<string, CvMetricJson>;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The attempt whose outcome was recorded, once: a repeat of the same call is a duplicate. */
  completedAttempt?: number;
  /** predict tasks, once succeeded: rows predicted and one result object per dataset batch. */
  rows?: number;
  results?: ResultObjectJson[];
  history: AttemptRecord[];
}

/** The registry entry of a trained model (the model proto's fields, JSON-shaped). */
export interface ModelRecord {
  id: string;
  algorithm: string;
  task: TaskType;
  target: string;
  features: Array<{ name: string; type: string }>;
  classes?: Array<string | number | boolean>;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  cvMetrics?: Record<string, CvMetricJson>;
  featureImportance?: Record<string, number>;
  confusionMatrix?: { labels: string[]; rows: number[][] };
  rocCurve?: Array<{ positiveClass: string; auc: number; points: Array<{ fpr: number; tpr: number; threshold: number }> }>;
  trainingId: string;
  datasetId: string;
  createdAt: string;
  sizeBytes: number;
  format: string;
  object: StoredObjectJson;
  /** Seconds spent fitting (data loading excluded). */
  fitSeconds?: number;
  trainer?: string;
}

export function newTaskRecord(trainingId: string, model: ModelSpecJson, index: number): TaskRecord {
  return { id: model.modelId, kind: "train", jobId: trainingId, modelId: model.modelId, index, state: "queued", attempt: 0, progress: 0, history: [] };
}

export const foldTaskId = (modelId: string, fold: number) => `${modelId}-fold-${fold}`;

/**
 * A model's tasks: one, or with cvFolds > 1 one task per fold (they run in parallel on the
 * trainers) plus the final-model task, which runs once every fold has ended.
 */
export function tasksForModel(trainingId: string, model: ModelSpecJson, index: number, cvFolds: number): TaskRecord[] {
  const final = newTaskRecord(trainingId, model, index);
  if (!(cvFolds > 1)) return [final];
  const folds = Array.from({ length: cvFolds }, (_, k): TaskRecord => ({ ...newTaskRecord(trainingId, model, index), id: foldTaskId(model.modelId, k), fold: k }));
  return [...folds, { ...final, folds: cvFolds }];
}

/** The metric a training's leaderboard ranks by: higher is better for both. */
export function primaryMetric(task: TaskType): "accuracy" | "r2" {
  return task === "classification" ? "accuracy" : "r2";
}

export interface FoldView {
  fold: number;
  state: RunState;
  progress: number;
  trainer?: string;
  attempts: number;
  metrics: Record<string, number>;
  error?: string;
}

export interface TrainingModelView {
  modelId: string;
  algorithm: string;
  params: Record<string, unknown>;
  state: RunState;
  progress: number;
  progressMessage?: string;
  metrics: Record<string, number>;
  cvMetrics?: Record<string, CvMetricJson>;
  error?: string;
  trainer?: string;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  /** Cross-validation fold tasks, when the folds run as tasks of their own. */
  folds?: FoldView[];
}

export interface TrainingView {
  id: string;
  datasetId: string;
  target: string;
  task: TaskType;
  state: RunState;
  progress: number;
  models: TrainingModelView[];
  leaderboard: string[];
  primaryMetric: string;
  testFraction: number;
  cvFolds: number;
  seed: number;
  cancelRequested: boolean;
  error?: string;
  createdAt: string;
  finishedAt?: string;
}

/** Score used to rank a model: the CV mean of the primary metric when CV ran, else its test value. */
function rankScore(model: TrainingModelView, metric: string, cv: boolean): number {
  const value = cv ? (model.cvMetrics?.[metric]?.mean ?? model.metrics[metric]) : model.metrics[metric];
  return value === undefined || Number.isNaN(value) ? -Infinity : value;
}

/**
 * A training as users see it, derived from its spec and tasks:
 * RUNNING once any model runs (or ran), SUCCEEDED when all ended and one succeeded, FAILED when
 * all failed, CANCELLED when a cancel ended it. The leaderboard ranks the succeeded models.
 */
export function trainingView(spec: TrainingSpec, tasks: readonly TaskRecord[]): TrainingView {
  const finals = new Map<string, TaskRecord>();
  const foldsOf = new Map<string, TaskRecord[]>();
  for (const t of tasks) {
    if (t.fold === undefined) finals.set(t.modelId, t);
    else foldsOf.set(t.modelId, [...(foldsOf.get(t.modelId) ?? []), t]);
  }
  const models: TrainingModelView[] = spec.models.map((m) => modelView(m, finals.get(m.modelId), (foldsOf.get(m.modelId) ?? []).sort((a, b) => a.fold! - b.fold!)));
  const states = models.map((m) => m.state);
  const allEnded = states.every(isTerminal);
  let state: RunState;
  if (allEnded) {
    if (spec.cancelRequested && states.some((s) => s === "cancelled")) state = "cancelled";
    else if (states.some((s) => s === "succeeded")) state = "succeeded";
    else if (states.every((s) => s === "cancelled")) state = "cancelled";
    else state = "failed";
  } else {
    state = models.some((m) => m.state !== "queued" || m.attempts > 0) ? "running" : "queued";
  }
  const metric = primaryMetric(spec.task);
  const cv = spec.cvFolds > 1;
  const leaderboard = models
    .filter((m) => m.state === "succeeded")
    .sort((a, b) => rankScore(b, metric, cv) - rankScore(a, metric, cv) || spec.models.findIndex((x) => x.modelId === a.modelId) - spec.models.findIndex((x) => x.modelId === b.modelId))
    .map((m) => m.modelId);
  const finishedTimes = models.map((m) => m.finishedAt).filter((x): x is string => x !== undefined);
  const failedAll = state === "failed" && models.length > 0;
  const firstError = models.find((m) => m.error)?.error;
  return {
    id: spec.id,
    datasetId: spec.datasetId,
    target: spec.target,
    task: spec.task,
    state,
    progress: models.length ? models.reduce((a, m) => a + (isTerminal(m.state) ? 1 : m.progress), 0) / models.length : 0,
    models,
    leaderboard,
    primaryMetric: metric,
    testFraction: spec.testFraction,
    cvFolds: spec.cvFolds,
    seed: spec.seed,
    cancelRequested: spec.cancelRequested === true,
    ...(failedAll && firstError !== undefined && { error: `every model failed; first error: ${firstError}` }),
    createdAt: spec.createdAt,
    ...(allEnded && finishedTimes.length > 0 && { finishedAt: finishedTimes.sort().at(-1)! }),
  };
}

const partProgress = (t: TaskRecord | undefined) => (t === undefined ? 0 : t.state === "succeeded" ? 1 : t.progress);

/** One model's view from its final task and its fold tasks (if any). */
function modelView(m: ModelSpecJson, t: TaskRecord | undefined, folds: TaskRecord[]): TrainingModelView {
  let state: RunState = t?.state ?? "queued";
  // While the final task waits for its folds, the model runs as soon as one of them does.
  if (state === "queued" && folds.some((f) => f.state !== "queued" || f.attempt > 0)) state = "running";
  const active = t?.state === "running" || folds.length === 0 ? t : (folds.find((f) => f.state === "running") ?? t);
  const parts = [t, ...folds];
  const progress = state === "succeeded" ? 1 : parts.reduce((a, p) => a + partProgress(p), 0) / parts.length;
  const started = parts.map((p) => p?.startedAt).filter((x): x is string => x !== undefined).sort()[0];
  return {
    modelId: m.modelId,
    algorithm: m.algorithm,
    params: m.params,
    state,
    progress,
    ...(active?.message !== undefined && { progressMessage: folds.length && active !== t ? `fold ${active.fold! + 1}/${folds.length}: ${active.message}` : active.message }),
    metrics: t?.metrics ?? {},
    ...(t?.cvMetrics && { cvMetrics: t.cvMetrics }),
    ...(t?.error !== undefined && { error: t.error }),
    ...(active?.trainer !== undefined && { trainer: active.trainer }),
    attempts: t?.attempt ?? 0,
    ...(started && { startedAt: started }),
    ...(t?.finishedAt && { finishedAt: t.finishedAt }),
    ...(folds.length > 0 && {
      folds: folds.map((f) => ({
        fold: f.fold!,
        state: f.state,
        progress: partProgress(f),
        ...(f.trainer !== undefined && { trainer: f.trainer }),
        attempts: f.attempt,
        metrics: f.metrics ?? {},
        ...(f.error !== undefined && { error: f.error }),
      })),
    }),
  };
}
