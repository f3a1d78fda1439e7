// TrainingView <-> dml.training.v1 messages, in one place. Enums go through @dml/catalog's tables;
// unset proto strings are "" where the view leaves a field out.
import { trainingV1 } from "@dml/proto";
import {
  algorithmEnum,
  algorithmName,
  runStateEnum,
  taskTypeEnum,
  taskTypeName,
  type TrainingModelView,
  type TrainingView,
} from "@dml/catalog";
import type { TrainingEvent } from "../domain/trainings/watch.js";

const { TrainingEventKind } = trainingV1;

export function trainingModelToProto(m: TrainingModelView): trainingV1.TrainingModel {
  return {
    modelId: m.modelId,
    algorithm: algorithmEnum(m.algorithm),
    params: m.params,
    state: runStateEnum(m.state),
    progress: m.progress,
    progressMessage: m.progressMessage ?? "",
    metrics: { ...m.metrics },
    cvMetrics: Object.fromEntries(Object.entries(m.cvMetrics ?? {}).map(([k, v]) => [k, { mean: v.mean, std: v.std, folds: [...v.folds] }])),
    error: m.error ?? "",
    trainer: m.trainer ?? "",
    attempts: m.attempts,
    startedAt: m.startedAt ?? "",
    finishedAt: m.finishedAt ?? "",
    folds: (m.folds ?? []).map((f) => ({
      fold: f.fold,
      state: runStateEnum(f.state),
      progress: f.progress,
      trainer: f.trainer ?? "",
      attempts: f.attempts,
      metrics: { ...f.metrics },
      error: f.error ?? "",
    })),
  };
}

export function trainingToProto(t: TrainingView): trainingV1.Training {
  return {
    id: t.id,
    datasetId: t.datasetId,
    target: t.target,
    task: taskTypeEnum(t.task),
    state: runStateEnum(t.state),
    progress: t.progress,
    models: t.models.map(trainingModelToProto),
    leaderboard: [...t.leaderboard],
    primaryMetric: t.primaryMetric,
    testFraction: t.testFraction,
    cvFolds: t.cvFolds,
    seed: t.seed,
    cancelRequested: t.cancelRequested,
    error: t.error ?? "",
    createdAt: t.createdAt,
    finishedAt: t.finishedAt ?? "",
  };
}

const KIND: Record<TrainingEvent["kind"], trainingV1.TrainingEventKind> = {
  snapshot: TrainingEventKind.TRAINING_EVENT_KIND_SNAPSHOT,
  progress: TrainingEventKind.TRAINING_EVENT_KIND_PROGRESS,
  state: TrainingEventKind.TRAINING_EVENT_KIND_STATE,
};

export function trainingEventToProto(e: TrainingEvent): trainingV1.WatchTrainingResponse {
  return { revision: e.revision, kind: KIND[e.kind], modelId: e.modelId ?? "", training: trainingToProto(e.training) };
}

/**
 * The gRPC request in the REST body's shape, so one validator serves both edges. Unspecified
 * enums become "" so the validator's message names the field; proto3 defaults (cv_folds 0) are
 * the REST defaults already, and the optional fields stay absent when unset.
 */
export function createRequestFromProto(req: trainingV1.CreateTrainingRequest): Record<string, unknown> {
  return {
    datasetId: req.datasetId,
    target: req.target,
    task: taskTypeName(req.task) ?? "",
    models: req.models.map((m) => ({ algorithm: algorithmName(m.algorithm) ?? "", params: m.params ?? {} })),
    ...(req.testFraction !== undefined && { testFraction: req.testFraction }),
    cvFolds: req.cvFolds,
    ...(req.seed !== undefined && { seed: req.seed }),
  };
}
