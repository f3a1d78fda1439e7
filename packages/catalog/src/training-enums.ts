// The REST/etcd spellings of algorithms, tasks and states and their protobuf enums, in one place.
import { trainingV1 } from "@dml/proto";
import type { RunState, TaskType } from "./trainings.js";

const { Algorithm, TaskType: ProtoTask, TrainingState } = trainingV1;

export const ALGORITHM_ENUM: Readonly<Record<string, trainingV1.Algorithm>> = {
  random_forest: Algorithm.ALGORITHM_RANDOM_FOREST,
  gradient_boosting: Algorithm.ALGORITHM_GRADIENT_BOOSTING,
  decision_tree: Algorithm.ALGORITHM_DECISION_TREE,
  logistic_regression: Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
  linear_regression: Algorithm.ALGORITHM_LINEAR_REGRESSION,
  svm: Algorithm.ALGORITHM_SVM,
  naive_bayes: Algorithm.ALGORITHM_NAIVE_BAYES,
  knn: Algorithm.ALGORITHM_KNN,
};

const ALGORITHM_NAME = new Map(Object.entries(ALGORITHM_ENUM).map(([name, value]) => [value, name]));

/** The algorithm's name ("random_forest"), or undefined for UNSPECIFIED/unknown values. */
export function algorithmName(value: trainingV1.Algorithm): string | undefined {
  return ALGORITHM_NAME.get(value);
}

export function algorithmEnum(name: string): trainingV1.Algorithm {
  return ALGORITHM_ENUM[name] ?? Algorithm.ALGORITHM_UNSPECIFIED;
}

export function taskTypeEnum(task: TaskType): trainingV1.TaskType {
  return task === "classification" ? ProtoTask.TASK_TYPE_CLASSIFICATION : ProtoTask.TASK_TYPE_REGRESSION;
}

export function taskTypeName(value: trainingV1.TaskType): TaskType | undefined {
  if (value === ProtoTask.TASK_TYPE_CLASSIFICATION) return "classification";
  if (value === ProtoTask.TASK_TYPE_REGRESSION) return "regression";
  return undefined;
}

const STATE_ENUM: Readonly<Record<RunState, trainingV1.TrainingState>> = {
  queued: TrainingState.TRAINING_STATE_QUEUED,
  running: TrainingState.TRAINING_STATE_RUNNING,
  succeeded: TrainingState.TRAINING_STATE_SUCCEEDED,
  failed: TrainingState.TRAINING_STATE_FAILED,
  cancelled: TrainingState.TRAINING_STATE_CANCELLED,
};

export function runStateEnum(state: RunState): trainingV1.TrainingState {
  return STATE_ENUM[state];
}
