import { describe, expect, it } from "vitest";
import { ServerError, Status } from "nice-grpc";
import { DmlError, GRPC_STATUS_BY_ERROR, isRetryable, StaleFenceError, toServerError, type DmlErrorCode } from "./errors.js";

// Every DmlErrorCode, spelled out: if the union grows, this object stops compiling until the new
// code is listed here with the gRPC status it must map to.
const EXPECTED: Record<DmlErrorCode, Status> = {
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  NOT_FOUND: Status.NOT_FOUND,
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  FAILED_PRECONDITION: Status.FAILED_PRECONDITION,
  STALE_FENCE: Status.ABORTED,
  NO_LEADER: Status.UNAVAILABLE,
  TOO_LARGE: Status.RESOURCE_EXHAUSTED,
  DATA_LOSS: Status.DATA_LOSS,
  UNAVAILABLE: Status.UNAVAILABLE,
  UNIMPLEMENTED: Status.UNIMPLEMENTED,
  UNAUTHENTICATED: Status.UNAUTHENTICATED,
  INTERNAL: Status.INTERNAL,
};

describe("GRPC_STATUS_BY_ERROR", () => {
  it("covers exactly the DmlErrorCodes", () => {
    expect(Object.keys(GRPC_STATUS_BY_ERROR).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))("maps %s to gRPC %s", (code, status) => {
    expect(GRPC_STATUS_BY_ERROR[code as DmlErrorCode].status).toBe(status);
  });

  it("classifies retryability by what the caller should do", () => {
    expect(GRPC_STATUS_BY_ERROR.NO_LEADER.retry).toBe("retryable");
    expect(GRPC_STATUS_BY_ERROR.UNAVAILABLE.retry).toBe("retryable");
    expect(GRPC_STATUS_BY_ERROR.STALE_FENCE.retry).toBe("terminal");
    expect(GRPC_STATUS_BY_ERROR.INVALID_ARGUMENT.retry).toBe("terminal");
    expect(GRPC_STATUS_BY_ERROR.NOT_FOUND.retry).toBe("terminal");
    for (const m of Object.values(GRPC_STATUS_BY_ERROR)) expect(["terminal", "retryable"]).toContain(m.retry);
  });
});

describe("DmlError", () => {
  it("carries code, message and details", () => {
    const err = new DmlError("TOO_LARGE", "body too big", { limit: 10 });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe("TOO_LARGE");
    expect(err.message).toBe("body too big");
    expect(err.details).toEqual({ limit: 10 });
    expect(err.name).toBe("DmlError");
    expect(new DmlError("NOT_FOUND", "x").details).toEqual({});
  });

  it("StaleFenceError is a STALE_FENCE DmlError", () => {
    const err = new StaleFenceError("lost the lease", { revision: 7 });
    expect(err).toBeInstanceOf(DmlError);
    expect(err.code).toBe("STALE_FENCE");
    expect(err.name).toBe("StaleFenceError");
    expect(err.details).toEqual({ revision: 7 });
    expect(toServerError(err).code).toBe(Status.ABORTED);
  });
});

describe("toServerError", () => {
  it("passes a ServerError through unchanged", () => {
    const original = new ServerError(Status.FAILED_PRECONDITION, "not a live trainer");
    expect(toServerError(original)).toBe(original);
  });

  it.each(Object.entries(EXPECTED))("maps DmlError %s through the table, keeping the message", (code, status) => {
    const mapped = toServerError(new DmlError(code as DmlErrorCode, `message for ${code}`));
    expect(mapped).toBeInstanceOf(ServerError);
    expect(mapped.code).toBe(status);
    expect(mapped.details).toBe(`message for ${code}`);
  });

  it("hides the message of unknown errors behind INTERNAL 'internal error'", () => {
    for (const err of [new Error("password=hunter2"), new TypeError("x is undefined"), "a string", 42, undefined, null, { message: "secret" }]) {
      const mapped = toServerError(err);
      expect(mapped.code).toBe(Status.INTERNAL);
      expect(mapped.details).toBe("internal error");
      expect(mapped.message).not.toContain("hunter2");
      expect(mapped.message).not.toContain("secret");
    }
  });
});

describe("isRetryable", () => {
  it("follows the table for DmlError and is false for anything else", () => {
    expect(isRetryable(new DmlError("NO_LEADER", "no leader"))).toBe(true);
    expect(isRetryable(new DmlError("UNAVAILABLE", "down"))).toBe(true);
    expect(isRetryable(new DmlError("STALE_FENCE", "stale"))).toBe(false);
    expect(isRetryable(new DmlError("INVALID_ARGUMENT", "bad"))).toBe(false);
    expect(isRetryable(new Error("boom"))).toBe(false);
    expect(isRetryable(new ServerError(Status.UNAVAILABLE, "x"))).toBe(false);
  });
});
