import { describe, expect, it } from "vitest";
import { ClientError, ServerError, Status } from "nice-grpc";
import { DmlError, StaleFenceError } from "@dml/runtime";
import { HTTP_STATUS_BY_GRPC, HttpError, toErrorResponse } from "./errors.js";

const ALL_GRPC_STATUSES = Object.values(Status).filter((v): v is Status => typeof v === "number");

describe("HTTP_STATUS_BY_GRPC", () => {
  it("covers all 17 gRPC statuses with a valid HTTP status", () => {
    expect(ALL_GRPC_STATUSES).toHaveLength(17);
    for (const status of ALL_GRPC_STATUSES) {
      const http = HTTP_STATUS_BY_GRPC[status];
      expect(http, Status[status]).toBeGreaterThanOrEqual(200);
      expect(http, Status[status]).toBeLessThan(600);
    }
    expect(Object.keys(HTTP_STATUS_BY_GRPC)).toHaveLength(17);
  });

  it("maps errors to the HTTP statuses STYLE.md names", () => {
    expect(HTTP_STATUS_BY_GRPC[Status.OK]).toBe(200);
    expect(HTTP_STATUS_BY_GRPC[Status.INVALID_ARGUMENT]).toBe(400);
    expect(HTTP_STATUS_BY_GRPC[Status.UNAUTHENTICATED]).toBe(401);
    expect(HTTP_STATUS_BY_GRPC[Status.PERMISSION_DENIED]).toBe(403);
    expect(HTTP_STATUS_BY_GRPC[Status.NOT_FOUND]).toBe(404);
    expect(HTTP_STATUS_BY_GRPC[Status.ABORTED]).toBe(409);
    expect(HTTP_STATUS_BY_GRPC[Status.ALREADY_EXISTS]).toBe(409);
    expect(HTTP_STATUS_BY_GRPC[Status.RESOURCE_EXHAUSTED]).toBe(413);
    expect(HTTP_STATUS_BY_GRPC[Status.INTERNAL]).toBe(500);
    expect(HTTP_STATUS_BY_GRPC[Status.UNIMPLEMENTED]).toBe(501);
    expect(HTTP_STATUS_BY_GRPC[Status.UNAVAILABLE]).toBe(503);
    expect(HTTP_STATUS_BY_GRPC[Status.DEADLINE_EXCEEDED]).toBe(504);
  });

  it("never maps a failure to a 2xx", () => {
    for (const status of ALL_GRPC_STATUSES) {
      if (status !== Status.OK) expect(HTTP_STATUS_BY_GRPC[status], Status[status]).toBeGreaterThanOrEqual(400);
    }
  });
});

describe("toErrorResponse", () => {
  it("keeps an HttpError's own status, code, message and details", () => {
    const r = toErrorResponse(new HttpError(405, "METHOD_NOT_ALLOWED", "POST is not allowed on /x", { allowed: ["GET"] }));
    expect(r).toEqual({
      status: 405,
      body: { error: { code: "METHOD_NOT_ALLOWED", message: "POST is not allowed on /x", details: { allowed: ["GET"] } } },
    });
  });

  it("maps DmlError INVALID_ARGUMENT to 400, keeping message and details", () => {
    const r = toErrorResponse(new DmlError("INVALID_ARGUMENT", "row 3, column age: not a number", { row: 3, column: "age" }));
    expect(r).toEqual({
      status: 400,
      body: { error: { code: "INVALID_ARGUMENT", message: "row 3, column age: not a number", details: { row: 3, column: "age" } } },
    });
  });

  it.each([
    ["STALE_FENCE", 409, "ABORTED"],
    ["NO_LEADER", 503, "UNAVAILABLE"],
    ["TOO_LARGE", 413, "RESOURCE_EXHAUSTED"],
    ["NOT_FOUND", 404, "NOT_FOUND"],
    ["ALREADY_EXISTS", 409, "ALREADY_EXISTS"],
    ["UNAUTHENTICATED", 401, "UNAUTHENTICATED"],
    ["UNIMPLEMENTED", 501, "UNIMPLEMENTED"],
    ["DATA_LOSS", 500, "DATA_LOSS"],
  ] as const)("maps DmlError %s to HTTP %i with code %s", (code, http, grpcName) => {
    const r = toErrorResponse(new DmlError(code, `the ${code} message`));
    expect(r.status).toBe(http);
    expect(r.body.error.code).toBe(grpcName);
    expect(r.body.error.message).toBe(`the ${code} message`);
    expect(r.body.error.details).toEqual({});
  });

  it("maps a StaleFenceError subclass like its code", () => {
    expect(toErrorResponse(new StaleFenceError("lost")).status).toBe(409);
  });

  it("maps a ServerError by its gRPC status, with its details as message", () => {
    const r = toErrorResponse(new ServerError(Status.FAILED_PRECONDITION, "not a live trainer"));
    expect(r).toEqual({
      status: 412,
      body: { error: { code: "FAILED_PRECONDITION", message: "not a live trainer", details: {} } },
    });
  });

  it("maps a ClientError from a downstream call by its gRPC status", () => {
    const r = toErrorResponse(new ClientError("/dml.work.v1.WorkService/CompleteTask", Status.UNAVAILABLE, "no leader"));
    expect(r.status).toBe(503);
    expect(r.body.error).toEqual({ code: "UNAVAILABLE", message: "no leader", details: {} });
  });

  it("turns unknown errors into 500 'internal error' without leaking their message", () => {
    for (const err of [new Error("ENOENT /etc/secret"), new TypeError("boom"), "string", undefined, { code: 404 }]) {
      const r = toErrorResponse(err);
      expect(r).toEqual({ status: 500, body: { error: { code: "INTERNAL", message: "internal error", details: {} } } });
    }
  });
});
