import { availableParallelism } from "node:os";
import { commonOptions, loadConfig, parseBytes, parseInteger, type ConfigOf, type ConfigSource } from "@dml/runtime";

export function trainerOptions() {
  return {
    ...commonOptions("trainer"),
    slots: {
      env: "DML_TRAINER_SLOTS",
      flag: "--slots",
      doc: "tasks this trainer runs at once (default: number of cores)",
      default: () => availableParallelism(),
      parse: parseInteger(1, 256),
    },
    replication: {
      env: "DML_REPLICATION",
      flag: "--replication",
      doc: "replicas of each model file written to the stores (capped by live stores)",
      default: 3,
      parse: parseInteger(1, 16),
    },
    progressIntervalMs: {
      env: "DML_PROGRESS_INTERVAL_MS",
      flag: "--progress-interval-ms",
      doc: "how often a running task reports its progress to the leader",
      default: 500,
      parse: parseInteger(50, 10_000),
    },
    modelCacheBytes: {
      env: "DML_MODEL_CACHE_BYTES",
      flag: "--model-cache-bytes",
      doc: "memory for loaded models serving online predictions, least recently used evicted first (e.g. 512M)",
      default: 512 * 1024 ** 2,
      parse: parseBytes,
    },
  };
}

export type TrainerConfig = ConfigOf<ReturnType<typeof trainerOptions>>;

export function loadTrainerConfig(source: ConfigSource): TrainerConfig {
  return loadConfig(trainerOptions(), source);
}
