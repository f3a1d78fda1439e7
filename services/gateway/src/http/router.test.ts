import { describe, expect, it } from "vitest";
import { HttpError } from "./errors.js";
import { Router, type Handler } from "./router.js";

function resolveError(router: Router, method: string, path: string): HttpError {
  try {
    router.resolve(method, path);
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    return err as HttpError;
  }
  throw new Error(`expected ${method} ${path} to fail`);
}

describe("Router", () => {
  const getCluster: Handler = () => {};
  const getDataset: Handler = () => {};
  const deleteDataset: Handler = () => {};
  const getRows: Handler = () => {};
  const predict: Handler = () => {};
  const router = new Router()
    .on("GET", "/v1/cluster", getCluster)
    .on("GET", "/v1/datasets/{id}", getDataset)
    .on("DELETE", "/v1/datasets/{id}", deleteDataset)
    .on("GET", "/v1/datasets/{id}/rows", getRows)
    .on("POST", "/v1/models/{modelId}/predict", predict);

  it("resolves exact paths with no params", () => {
    const r = router.resolve("GET", "/v1/cluster");
    expect(r.handler).toBe(getCluster);
    expect(r.params).toEqual({});
  });

  it("ignores a trailing slash and repeated slashes", () => {
    expect(router.resolve("GET", "/v1/cluster/").handler).toBe(getCluster);
    expect(router.resolve("GET", "//v1//cluster").handler).toBe(getCluster);
  });

  it("extracts {param} segments", () => {
    expect(router.resolve("GET", "/v1/datasets/ds_1").params).toEqual({ id: "ds_1" });
    const r = router.resolve("POST", "/v1/models/m-42/predict");
    expect(r.handler).toBe(predict);
    expect(r.params).toEqual({ modelId: "m-42" });
  });

  it("picks the handler by method on the same pattern", () => {
    expect(router.resolve("GET", "/v1/datasets/a").handler).toBe(getDataset);
    expect(router.resolve("DELETE", "/v1/datasets/a").handler).toBe(deleteDataset);
  });

  it("matches on the number of segments", () => {
    expect(router.resolve("GET", "/v1/datasets/a/rows").handler).toBe(getRows);
    expect(resolveError(router, "GET", "/v1/datasets").httpStatus).toBe(404);
    expect(resolveError(router, "GET", "/v1/datasets/a/rows/extra").httpStatus).toBe(404);
  });

  it("URL-decodes path segments", () => {
    expect(router.resolve("GET", "/v1/datasets/a%20b%2Fc").params).toEqual({ id: "a b/c" });
    expect(router.resolve("GET", "/v1/clu%73ter").handler).toBe(getCluster);
  });

  it("treats a malformed percent-encoding as no match (404), not a crash", () => {
    const err = resolveError(router, "GET", "/v1/datasets/%E0%A4%A");
    expect(err.httpStatus).toBe(404);
  });

  it("throws 404 NOT_FOUND for unknown paths", () => {
    const err = resolveError(router, "GET", "/v1/nothing");
    expect(err.httpStatus).toBe(404);
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toContain("/v1/nothing");
  });

  it("throws 405 METHOD_NOT_ALLOWED listing the allowed methods", () => {
    const err = resolveError(router, "POST", "/v1/datasets/a");
    expect(err.httpStatus).toBe(405);
    expect(err.code).toBe("METHOD_NOT_ALLOWED");
    expect(err.message).toContain("POST");
    expect((err.details["allowed"] as string[]).slice().sort()).toEqual(["DELETE", "GET"]);
    expect(resolveError(router, "PUT", "/v1/cluster").details).toEqual({ allowed: ["GET"] });
  });

  it("answers HEAD with the GET handler", () => {
    expect(router.resolve("HEAD", "/v1/cluster").handler).toBe(getCluster);
    expect(router.resolve("HEAD", "/v1/datasets/x").params).toEqual({ id: "x" });
    expect(resolveError(router, "HEAD", "/v1/models/m/predict").httpStatus).toBe(405);
  });

  it("re-registering a method on a pattern replaces its handler", () => {
    const first: Handler = () => {};
    const second: Handler = () => {};
    const r = new Router().on("GET", "/x", first).on("GET", "/x", second);
    expect(r.resolve("GET", "/x").handler).toBe(second);
  });

  it("does not let an earlier pattern hide a later one that takes the method", () => {
    const getOne: Handler = () => {};
    const importIt: Handler = () => {};
    const r = new Router().on("GET", "/v1/datasets/{id}", getOne).on("POST", "/v1/datasets/import", importIt);
    expect(r.resolve("POST", "/v1/datasets/import").handler).toBe(importIt);
    expect(r.resolve("GET", "/v1/datasets/import").params).toEqual({ id: "import" });
    const err = resolveError(r, "DELETE", "/v1/datasets/import");
    expect(err.httpStatus).toBe(405);
    expect((err.details["allowed"] as string[]).slice().sort()).toEqual(["GET", "POST"]);
  });
});
