// Public surface of @dml/proto: the generated contract (src/gen, produced by `npm run gen`,
// never edited), one namespace per proto package, plus what server reflection needs.
import { fileURLToPath } from "node:url";

export * as commonV1 from "./gen/dml/common/v1/common.js";
export * as clusterV1 from "./gen/dml/cluster/v1/cluster.js";
export * as datasetV1 from "./gen/dml/dataset/v1/dataset.js";
export * as trainingV1 from "./gen/dml/training/v1/training.js";
export * as modelV1 from "./gen/dml/model/v1/model.js";
export * as predictionV1 from "./gen/dml/prediction/v1/prediction.js";
export * as benchmarkV1 from "./gen/dml/benchmark/v1/benchmark.js";
export * as workV1 from "./gen/dml/work/v1/work.js";
export * as storeV1 from "./gen/dml/store/v1/store.js";
export * as trainerV1 from "./gen/dml/trainer/v1/trainer.js";
export * as structPb from "./gen/google/protobuf/struct.js";

/** Absolute path of the descriptor set (buf build output) that feeds server reflection. */
export const descriptorSetPath = fileURLToPath(new URL("../descriptor.binpb", import.meta.url));

/** Services of the public API, served by the gateway's gRPC port (fully-qualified names). */
export const publicServiceNames: readonly string[] = [
  "dml.cluster.v1.ClusterService",
  "dml.dataset.v1.DatasetService",
  "dml.training.v1.TrainingService",
  "dml.model.v1.ModelService",
  "dml.prediction.v1.PredictionService",
  "dml.benchmark.v1.BenchmarkService",
];

/** Internal services, served by schedulers (Work), stores (Store) and trainers (Trainer); never by the gateway. */
export const internalServiceNames: readonly string[] = [
  "dml.work.v1.WorkService",
  "dml.store.v1.StoreService",
  "dml.trainer.v1.TrainerService",
];
