// dml.work.v1.WorkService on the scheduler: the gRPC edge of the WorkCoordinator. Leadership
// loss (a stale fence) is UNAVAILABLE here, so trainers look the new leader up and retry; an
// attempt that is no longer current is ABORTED (the DmlError table's STALE_FENCE).
import type { ServiceImplementation } from "nice-grpc";
import type { workV1 } from "@dml/proto";
import { DmlError, StaleFenceError } from "@dml/runtime";
import type { WorkCoordinator } from "./coordinator.js";

/** A lost fence is the leader's problem, not the caller's: tell the trainer to find the new one. */
async function leaderCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // StaleFenceError is the election's (leadership gone); an attempt that is not current is a
    // plain DmlError("STALE_FENCE") and stays ABORTED.
    if (err instanceof StaleFenceError) throw new DmlError("NO_LEADER", `leadership moved (${err.message}); look the leader up and retry`);
    throw err;
  }
}

export function workService(holder: { get(): WorkCoordinator }): ServiceImplementation<typeof workV1.WorkServiceDefinition> {
  return {
    async *connectWork(requests, context) {
      yield* holder.get().connect(requests, context.signal);
    },
    async reportProgress(req) {
      if (!req.taskId || !(req.attempt > 0) || !req.nodeId) throw new DmlError("INVALID_ARGUMENT", "node_id, task_id and attempt are required");
      const cancelRequested = await leaderCall(() => holder.get().recordProgress(req.nodeId, req.taskId, req.attempt, req.progress, req.message));
      return { cancelRequested };
    },
    async completeTask(req) {
      return leaderCall(() => holder.get().complete(req));
    },
  };
}
