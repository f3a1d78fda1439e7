// dml.training.v1.TrainingService: converts messages, calls the Trainings domain. Errors are
// DmlErrors from the domain, mapped by the server's one table.
import type { ServiceImplementation } from "nice-grpc";
import type { trainingV1 } from "@dml/proto";
import type { Trainings } from "../domain/trainings/trainings.js";
import { createRequestFromProto, trainingEventToProto, trainingToProto } from "./training-convert.js";

export function trainingService(trainings: Trainings): ServiceImplementation<typeof trainingV1.TrainingServiceDefinition> {
  return {
    async createTraining(req) {
      return { training: trainingToProto(await trainings.create(createRequestFromProto(req))) };
    },
    async getTraining({ trainingId }) {
      return { training: trainingToProto(await trainings.get(trainingId)) };
    },
    async listTrainings({ datasetId }) {
      return { trainings: (await trainings.list(datasetId || undefined)).map(trainingToProto) };
    },
    async *watchTraining({ trainingId, fromRevision }, { signal }) {
      // The signal ends a watch that is waiting for changes when the client goes away.
      const watch = await trainings.watch(trainingId, fromRevision, signal);
      for await (const event of watch) yield trainingEventToProto(event);
    },
    async cancelTraining({ trainingId }) {
      return { training: trainingToProto(await trainings.cancel(trainingId)) };
    },
  };
}
