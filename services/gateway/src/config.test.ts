import { describe, expect, it } from "vitest";
import { ConfigError } from "@dml/runtime";
import { loadGatewayConfig } from "./config.js";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("loadGatewayConfig", () => {
  it("defaults to HTTP on 127.0.0.1:8080, gRPC on a free loopback port, no token", () => {
    const cfg = loadGatewayConfig({ env: {} });
    expect(cfg.httpListen).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(cfg.listen).toEqual({ host: "127.0.0.1", port: 0 });
    expect(cfg.apiToken).toBeUndefined();
    expect(cfg.leaseTtl).toBe(3);
    expect(cfg.replication).toBe(3);
    expect(cfg.maxUploadBytes).toBe(4 * 1024 ** 3);
    expect(cfg.nodeId).toMatch(/^gateway-/);
  });

  it("reads DML_HTTP_LISTEN, DML_MAX_UPLOAD_BYTES and DML_REPLICATION and their flags", () => {
    const cfg = loadGatewayConfig({
      env: { DML_HTTP_LISTEN: "127.0.0.1:9090", DML_MAX_UPLOAD_BYTES: "512M" },
      argv: ["--replication=2"],
    });
    expect(cfg.httpListen).toEqual({ host: "127.0.0.1", port: 9090 });
    expect(cfg.maxUploadBytes).toBe(512 * 1024 ** 2);
    expect(cfg.replication).toBe(2);
  });

  it("refuses to listen for HTTP on 0.0.0.0 without DML_API_TOKEN", () => {
    const problems = problemsOf(() => loadGatewayConfig({ env: { DML_HTTP_LISTEN: "0.0.0.0:8080" } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("DML_API_TOKEN");
    expect(problems[0]).toContain("--api-token");
    expect(problems[0]).toContain("0.0.0.0:8080");
  });

  it("refuses a gRPC listen address beyond loopback without a token too", () => {
    const problems = problemsOf(() => loadGatewayConfig({ argv: ["--listen", "[::]:7000"] }));
    expect(problems[0]).toContain("DML_API_TOKEN");
    expect(problems[0]).toContain("[::]:7000");
  });

  it("starts beyond loopback with a token, from env or flag", () => {
    const fromEnv = loadGatewayConfig({ env: { DML_HTTP_LISTEN: "0.0.0.0:8080", DML_API_TOKEN: "s3cret-token" } });
    expect(fromEnv.apiToken).toBe("s3cret-token");
    expect(fromEnv.httpListen).toEqual({ host: "0.0.0.0", port: 8080 });
    const fromFlag = loadGatewayConfig({ env: { DML_HTTP_LISTEN: "0.0.0.0:0" }, argv: ["--api-token", "12345678"] });
    expect(fromFlag.apiToken).toBe("12345678");
  });

  it("accepts a token on loopback as well", () => {
    expect(loadGatewayConfig({ env: { DML_API_TOKEN: "abcdefgh" } }).apiToken).toBe("abcdefgh");
  });

  it("rejects a token shorter than 8 characters", () => {
    const problems = problemsOf(() => loadGatewayConfig({ env: { DML_API_TOKEN: "1234567" } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("DML_API_TOKEN");
    expect(problems[0]).toContain("at least 8 characters");
  });

  it("reports the common options' problems with the gateway's own", () => {
    const problems = problemsOf(() =>
      loadGatewayConfig({ env: { DML_LEASE_TTL: "0", DML_HTTP_LISTEN: "nohost", DML_REPLICATION: "17" } }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/DML_LEASE_TTL/);
    expect(problems.join("\n")).toMatch(/DML_HTTP_LISTEN/);
    expect(problems.join("\n")).toMatch(/DML_REPLICATION/);
  });
});
