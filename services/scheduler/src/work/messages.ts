// The WorkService messages the coordinator builds and reads: assignments for the two task kinds,
// and the outcome a trainer's CompleteTask carries.
import { workV1 } from "@dml/proto";
import {
  algorithmEnum,
  modelFromProto,
  resultKeyPrefix,
  storedObjectFromProto,
  taskTypeEnum,
  type CvMetricJson,
  type PredictionSpec,
  type TaskRecord,
  type TrainingSpec,
} from "@dml/catalog";
import { DmlError } from "@dml/runtime";
import type { Outcome } from "./transitions.js";

export const modelObjectKey = (modelId: string, attempt: number) => `models/${modelId}/attempt-${attempt}.json`;

export function predictAssignment(spec: PredictionSpec, task: TaskRecord): workV1.TaskAssignment {
  return {
    taskId: task.id,
    attempt: task.attempt,
    kind: workV1.TaskKind.TASK_KIND_PREDICT,
    spec: {
      $case: "predict",
      predict: { predictionId: spec.id, modelId: spec.modelId, datasetId: spec.datasetId, batchIndexes: [], resultKeyPrefix: resultKeyPrefix(spec.id, task.attempt) },
    },
  };
}

export function trainAssignment(spec: TrainingSpec, task: TaskRecord, cvMetrics: Record<string, CvMetricJson> | undefined): workV1.TaskAssignment {
  const model = spec.models.find((m) => m.modelId === task.modelId)!;
  return {
    taskId: task.id,
    attempt: task.attempt,
    kind: workV1.TaskKind.TASK_KIND_TRAIN,
    spec: {
      $case: "train",
      train: {
        trainingId: spec.id,
        modelId: task.modelId,
        datasetId: spec.datasetId,
        target: spec.target,
        task: taskTypeEnum(spec.task),
        algorithm: algorithmEnum(model.algorithm),
        params: model.params,
        testFraction: spec.testFraction,
        cvFolds: spec.cvFolds,
        seed: spec.seed,
        ...(task.fold !== undefined && { cvFold: task.fold }),
        foldTasks: task.folds !== undefined,
        cvMetrics: cvMetrics ?? {},
        modelObjectKey: task.fold === undefined ? modelObjectKey(task.modelId, task.attempt) : "",
      },
    },
  };
}

/** The outcome of a CompleteTask call, and the registry entry of a trained model. */
export function outcomeOf(req: workV1.CompleteTaskRequest): { outcome: Outcome; model?: ReturnType<typeof modelFromProto> } {
  const o = req.outcome;
  switch (o?.$case) {
    case "train": {
      const r = o.train;
      if (!r.model && !r.modelObject) return { outcome: { kind: "succeeded", metrics: r.foldMetrics } }; // a fold task
      if (!r.model || !r.modelObject) throw new DmlError("INVALID_ARGUMENT", "a training task's result needs model and model_object");
      if (r.model.id === "") throw new DmlError("INVALID_ARGUMENT", "model.id is required");
      const model = modelFromProto(r.model, storedObjectFromProto(r.modelObject), { fitSeconds: r.fitSeconds });
      const cv = Object.keys(model.cvMetrics ?? {}).length ? model.cvMetrics : undefined;
      return { outcome: { kind: "succeeded", metrics: model.metrics, cvMetrics: cv }, model };
    }
    case "failure":
      return { outcome: { kind: "failed", error: o.failure.error || "unknown error", retryable: o.failure.retryable } };
    case "cancelled":
      return { outcome: { kind: "cancelled" } };
    case "predict": {
      const r = o.predict;
      const results = r.results.map((x) => {
        if (!x.object) throw new DmlError("INVALID_ARGUMENT", `result of batch ${x.batchIndex} has no object`);
        return { batchIndex: x.batchIndex, rows: x.rows, object: storedObjectFromProto(x.object) };
      });
      return { outcome: { kind: "succeeded", metrics: r.metrics, rows: r.rows, results } };
    }
    default:
      throw new DmlError("INVALID_ARGUMENT", "outcome is required");
  }
}
