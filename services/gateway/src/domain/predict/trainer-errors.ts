// What a trainer's failure means for a routed prediction: try the next trainer (it is down,
// starting, or too slow), or give the caller the trainer's answer (bad rows, unknown model...).
import { ClientError, Status } from "nice-grpc";
import { DmlError, type DmlErrorCode } from "@dml/runtime";

/** The trainer (not the request) failed: another trainer may well succeed. */
export function shouldFailOver(err: unknown): boolean {
  if (err instanceof ClientError) return err.code === Status.UNAVAILABLE || err.code === Status.DEADLINE_EXCEEDED || err.code === Status.CANCELLED;
  // Our own per-attempt deadline (AbortSignal.timeout) ends the call with an AbortError.
  return err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError");
}

const CODE_BY_STATUS: Partial<Record<Status, DmlErrorCode>> = {
  [Status.INVALID_ARGUMENT]: "INVALID_ARGUMENT",
  [Status.NOT_FOUND]: "NOT_FOUND",
  [Status.RESOURCE_EXHAUSTED]: "TOO_LARGE",
  [Status.DATA_LOSS]: "DATA_LOSS",
  [Status.UNAVAILABLE]: "UNAVAILABLE",
  [Status.UNIMPLEMENTED]: "UNIMPLEMENTED",
};

/** A trainer's refusal as the gateway's own error, so both edges map it through their one table. */
export function fromTrainerError(err: unknown, modelId: string): DmlError {
  if (err instanceof DmlError) return err;
  if (err instanceof ClientError) return new DmlError(CODE_BY_STATUS[err.code] ?? "INTERNAL", err.details, { modelId });
  return new DmlError("INTERNAL", `prediction failed: ${(err as Error).message}`, { modelId });
}
