// One long-lived gRPC channel (one HTTP/2 connection) per trainer address, reused by every
// prediction routed there; dropped when the trainer leaves the membership.
import { trainerV1 } from "@dml/proto";
import { GrpcClientPool } from "@dml/runtime";

export type TrainerClient = trainerV1.TrainerServiceClient;

export class TrainerClients extends GrpcClientPool<typeof trainerV1.TrainerServiceDefinition> {
  constructor() {
    super(trainerV1.TrainerServiceDefinition);
  }
}
