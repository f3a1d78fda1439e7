// The gateway's ONE error table: gRPC status -> HTTP status. Domain errors are first turned into
// gRPC statuses by the runtime's table, so both edges agree on what an error means.
import type { ServerResponse } from "node:http";
import { ClientError, ServerError, Status } from "nice-grpc";
import { DmlError, GRPC_STATUS_BY_ERROR } from "@dml/runtime";

export const HTTP_STATUS_BY_GRPC: Readonly<Record<Status, number>> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 499,
  [Status.UNKNOWN]: 500,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.RESOURCE_EXHAUSTED]: 413,
  [Status.FAILED_PRECONDITION]: 412,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.INTERNAL]: 500,
  [Status.UNAVAILABLE]: 503,
  [Status.DATA_LOSS]: 500,
  [Status.UNAUTHENTICATED]: 401,
};

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** An error raised by the HTTP layer itself (routing), already carrying its HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) {
    return { status: err.httpStatus, body: { error: { code: err.code, message: err.message, details: err.details } } };
  }
  let grpcStatus: Status = Status.INTERNAL;
  let message = "internal error";
  let details: Record<string, unknown> = {};
  if (err instanceof DmlError) {
    grpcStatus = GRPC_STATUS_BY_ERROR[err.code].status;
    message = err.message;
    details = err.details;
  } else if (err instanceof ServerError || err instanceof ClientError) {
    grpcStatus = err.code;
    message = err.details;
  }
  return { status: HTTP_STATUS_BY_GRPC[grpcStatus], body: { error: { code: Status[grpcStatus], message, details } } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const { status, body } = toErrorResponse(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, body);
}
