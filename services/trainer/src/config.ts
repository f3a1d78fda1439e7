import { availableParallelism } from "node:os";
import { commonOptions, loadConfig, parseInteger, type ConfigOf, type ConfigSource } from "@dml/runtime";

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
  };
}

export type TrainerConfig = ConfigOf<ReturnType<typeof trainerOptions>>;

export function loadTrainerConfig(source: ConfigSource): TrainerConfig {
  return loadConfig(trainerOptions(), source);
}
