// Domain errors and the ONE table that maps them to gRPC status codes at the transport edge.
// Services throw DmlError (or ServerError from nice-grpc directly); the server middleware
// converts. The gateway maps gRPC codes to HTTP in its own single table.
import { ServerError, Status } from "nice-grpc";

export type DmlErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "STALE_FENCE"
  | "NO_LEADER"
  | "TOO_LARGE"
  | "DATA_LOSS"
  | "UNAVAILABLE"
  | "UNIMPLEMENTED"
  | "UNAUTHENTICATED"
  | "INTERNAL";

/** Whether a caller may retry the same request (possibly elsewhere) and expect it to work. */
export type Retryability = "terminal" | "retryable";

interface Mapping {
  status: Status;
  retry: Retryability;
}

export const GRPC_STATUS_BY_ERROR: Readonly<Record<DmlErrorCode, Mapping>> = {
  INVALID_ARGUMENT: { status: Status.INVALID_ARGUMENT, retry: "terminal" },
  NOT_FOUND: { status: Status.NOT_FOUND, retry: "terminal" },
  ALREADY_EXISTS: { status: Status.ALREADY_EXISTS, retry: "terminal" },
  // The resource is not in the state the call needs (e.g. results of an unfinished prediction).
  FAILED_PRECONDITION: { status: Status.FAILED_PRECONDITION, retry: "terminal" },
  // A fencing value (leader revision, task attempt) is no longer current: the write lost.
  STALE_FENCE: { status: Status.ABORTED, retry: "terminal" },
  NO_LEADER: { status: Status.UNAVAILABLE, retry: "retryable" },
  TOO_LARGE: { status: Status.RESOURCE_EXHAUSTED, retry: "terminal" },
  DATA_LOSS: { status: Status.DATA_LOSS, retry: "terminal" },
  UNAVAILABLE: { status: Status.UNAVAILABLE, retry: "retryable" },
  UNIMPLEMENTED: { status: Status.UNIMPLEMENTED, retry: "terminal" },
  UNAUTHENTICATED: { status: Status.UNAUTHENTICATED, retry: "terminal" },
  INTERNAL: { status: Status.INTERNAL, retry: "retryable" },
};

export class DmlError extends Error {
  constructor(
    readonly code: DmlErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "DmlError";
  }
}

export class StaleFenceError extends DmlError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("STALE_FENCE", message, details);
    this.name = "StaleFenceError";
  }
}

export function toServerError(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  if (err instanceof DmlError) return new ServerError(GRPC_STATUS_BY_ERROR[err.code].status, err.message);
  return new ServerError(Status.INTERNAL, "internal error");
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof DmlError) return GRPC_STATUS_BY_ERROR[err.code].retry === "retryable";
  return false;
}
