import { describe, expect, it } from "vitest";
import { trainingV1 } from "@dml/proto";
import { newTaskRecord, tasksForModel, trainingView, type TaskRecord, type TrainingSpec } from "@dml/catalog";
import { checkCreateRequest } from "../domain/trainings/validate.js";
import { createRequestFromProto, trainingEventToProto, trainingToProto } from "./training-convert.js";

const { Algorithm, TaskType, TrainingState, TrainingEventKind } = trainingV1;

const spec: TrainingSpec = {
  id: "t-1",
  datasetId: "ds_1",
  target: "species",
  task: "classification",
  models: [
    { modelId: "m-a", algorithm: "random_forest", params: { n_estimators: 10 } },
    { modelId: "m-b", algorithm: "svm", params: {} },
  ],
  testFraction: 0.25,
  cvFolds: 3,
  seed: 7,
  createdAt: "2024-01-01T00:00:00.000Z",
};

const done: TaskRecord = {
  ...newTaskRecord("t-1", spec.models[0]!, 0),
  state: "succeeded",
  attempt: 1,
  trainer: "trainer-1",
  progress: 1,
  metrics: { accuracy: 0.9 },
  cvMetrics: { accuracy: { mean: 0.88, std: 0.01, folds: [0.87, 0.88, 0.89] } },
  startedAt: "2024-01-01T00:00:01.000Z",
  finishedAt: "2024-01-01T00:00:05.000Z",
};
const running: TaskRecord = { ...newTaskRecord("t-1", spec.models[1]!, 1), state: "running", attempt: 2, trainer: "trainer-2", progress: 0.5, message: "iteration 5" };

describe("trainingToProto", () => {
  it("maps every field, with enums and empty strings for absent values", () => {
    const pb = trainingToProto(trainingView(spec, [done, running]));
    expect(pb).toEqual({
      id: "t-1",
      datasetId: "ds_1",
      target: "species",
      task: TaskType.TASK_TYPE_CLASSIFICATION,
      state: TrainingState.TRAINING_STATE_RUNNING,
      progress: 0.75,
      models: [
        {
          modelId: "m-a",
          algorithm: Algorithm.ALGORITHM_RANDOM_FOREST,
          params: { n_estimators: 10 },
          state: TrainingState.TRAINING_STATE_SUCCEEDED,
          progress: 1,
          progressMessage: "",
          metrics: { accuracy: 0.9 },
          cvMetrics: { accuracy: { mean: 0.88, std: 0.01, folds: [0.87, 0.88, 0.89] } },
          error: "",
          trainer: "trainer-1",
          attempts: 1,
          startedAt: "2024-01-01T00:00:01.000Z",
          finishedAt: "2024-01-01T00:00:05.000Z",
          folds: [],
        },
        {
          modelId: "m-b",
          algorithm: Algorithm.ALGORITHM_SVM,
          params: {},
          state: TrainingState.TRAINING_STATE_RUNNING,
          progress: 0.5,
          progressMessage: "iteration 5",
          metrics: {},
          cvMetrics: {},
          error: "",
          trainer: "trainer-2",
          attempts: 2,
          startedAt: "",
          finishedAt: "",
          folds: [],
        },
      ],
      leaderboard: ["m-a"],
      primaryMetric: "accuracy",
      testFraction: 0.25,
      cvFolds: 3,
      seed: 7,
      cancelRequested: false,
      error: "",
      createdAt: "2024-01-01T00:00:00.000Z",
      finishedAt: "",
    });
  });

  it("lists a model's cross-validation fold tasks, in fold order, as gRPC folds (REST's folds)", () => {
    const [fold0, fold1, fold2, final] = tasksForModel("t-1", spec.models[1]!, 1, 3);
    const tasks: TaskRecord[] = [
      done,
      { ...final! },
      { ...fold2!, state: "failed", attempt: 3, trainer: "trainer-2", error: "out of memory" },
      { ...fold0!, state: "succeeded", attempt: 1, trainer: "trainer-1", progress: 1, metrics: { accuracy: 0.8 } },
      { ...fold1!, state: "running", attempt: 1, trainer: "trainer-2", progress: 0.25 },
    ];
    const view = trainingView(spec, tasks);
    const pb = trainingToProto(view);
    expect(pb.models[0]!.folds).toEqual([]);
    expect(pb.models[1]!.folds).toEqual([
      { fold: 0, state: TrainingState.TRAINING_STATE_SUCCEEDED, progress: 1, trainer: "trainer-1", attempts: 1, metrics: { accuracy: 0.8 }, error: "" },
      { fold: 1, state: TrainingState.TRAINING_STATE_RUNNING, progress: 0.25, trainer: "trainer-2", attempts: 1, metrics: {}, error: "" },
      { fold: 2, state: TrainingState.TRAINING_STATE_FAILED, progress: 0, trainer: "trainer-2", attempts: 3, metrics: {}, error: "out of memory" },
    ]);
    // The same folds as the REST view shows.
    expect(pb.models[1]!.folds.map((f) => [f.fold, f.attempts, f.trainer])).toEqual(view.models[1]!.folds!.map((f) => [f.fold, f.attempts, f.trainer]));
    expect(trainingV1.Training.decode(trainingV1.Training.encode(pb).finish())).toEqual(pb);
  });

  it("survives a protobuf round trip (params as a Struct)", () => {
    const pb = trainingToProto(trainingView({ ...spec, task: "regression", cancelRequested: true }, [done, { ...running, state: "cancelled", error: "cancelled" }]));
    const back = trainingV1.Training.decode(trainingV1.Training.encode(pb).finish());
    expect(back).toEqual(pb);
    expect(back.state).toBe(TrainingState.TRAINING_STATE_CANCELLED);
    expect(back.task).toBe(TaskType.TASK_TYPE_REGRESSION);
    expect(back.finishedAt).toBe("2024-01-01T00:00:05.000Z");
  });

  it("maps event kinds", () => {
    const training = trainingView(spec, []);
    expect(trainingEventToProto({ revision: 5, kind: "snapshot", training })).toMatchObject({ revision: 5, kind: TrainingEventKind.TRAINING_EVENT_KIND_SNAPSHOT, modelId: "" });
    expect(trainingEventToProto({ revision: 6, kind: "progress", modelId: "m-a", training }).kind).toBe(TrainingEventKind.TRAINING_EVENT_KIND_PROGRESS);
    expect(trainingEventToProto({ revision: 7, kind: "state", training }).kind).toBe(TrainingEventKind.TRAINING_EVENT_KIND_STATE);
  });
});

describe("createRequestFromProto", () => {
  it("gives the validator the REST shape, leaving unset optionals to the defaults", () => {
    const body = createRequestFromProto({
      datasetId: "ds_1",
      target: "species",
      task: TaskType.TASK_TYPE_CLASSIFICATION,
      models: [{ algorithm: Algorithm.ALGORITHM_KNN, params: { n_neighbors: 3 } }, { algorithm: Algorithm.ALGORITHM_SVM }],
      cvFolds: 0,
    });
    expect(checkCreateRequest(body)).toEqual({
      datasetId: "ds_1",
      target: "species",
      task: "classification",
      models: [
        { algorithm: "knn", params: { n_neighbors: 3 } },
        { algorithm: "svm", params: {} },
      ],
      testFraction: 0.2,
      cvFolds: 0,
      seed: 42,
    });
  });

  it("keeps set optionals, including a zero seed", () => {
    const body = createRequestFromProto({ datasetId: "d", target: "y", task: TaskType.TASK_TYPE_REGRESSION, models: [], testFraction: 0.3, cvFolds: 5, seed: 0 });
    expect(body).toMatchObject({ task: "regression", testFraction: 0.3, cvFolds: 5, seed: 0 });
  });

  it("turns unspecified enums into values the validator names", () => {
    const body = createRequestFromProto({ datasetId: "ds_1", target: "y", task: TaskType.TASK_TYPE_UNSPECIFIED, models: [{ algorithm: Algorithm.ALGORITHM_UNSPECIFIED }], cvFolds: 0 });
    expect(() => checkCreateRequest(body)).toThrow(/task must be/);
    expect(() => checkCreateRequest({ ...body, task: "classification" })).toThrow(/models\[0\]\.algorithm must be one of/);
  });
});
