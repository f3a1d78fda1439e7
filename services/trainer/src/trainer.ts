import { startNode, withUnimplemented, type RunningNode } from "@dml/runtime";
import { trainerV1 } from "@dml/proto";
import type { TrainerConfig } from "./config.js";

/** Starts a trainer node. Task execution and online prediction arrive with later issues. */
export async function startTrainer(config: TrainerConfig): Promise<RunningNode> {
  return startNode({
    role: "trainer",
    config,
    services: [
      {
        definition: trainerV1.TrainerServiceDefinition,
        implementation: withUnimplemented(trainerV1.TrainerServiceDefinition),
      },
    ],
    record: { slots: config.slots },
    ready: { slots: config.slots },
  });
}
