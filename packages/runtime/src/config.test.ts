import { describe, expect, it } from "vitest";
import {
  commonOptions,
  ConfigError,
  describeOptions,
  formatHostPort,
  isLoopbackHost,
  loadConfig,
  parseBytes,
  parseEtcdEndpoints,
  parseHostPort,
  parseId,
  parseInteger,
  parseLogLevel,
  type OptionSpec,
} from "./config.js";

function specs() {
  return {
    count: {
      env: "T_COUNT",
      flag: "--count",
      doc: "a count",
      default: 5,
      parse: parseInteger(1, 10),
    } as OptionSpec<number>,
    name: {
      env: "T_NAME",
      flag: "--name",
      doc: "a name",
      parse: parseId,
    } as OptionSpec<string>,
    label: {
      env: "T_LABEL",
      flag: "--label",
      doc: "derived from name",
      default: (partial: Record<string, unknown>) => `label-${String(partial["name"])}`,
      parse: (raw: string) => raw,
    } as OptionSpec<string>,
    extra: {
      env: "T_EXTRA",
      flag: "--extra",
      doc: "optional",
      optional: true,
      parse: (raw: string) => raw.toUpperCase(),
    } as OptionSpec<string | undefined>,
  };
}

/** Runs `fn`, expecting a ConfigError, and returns its problems. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("loadConfig", () => {
  it("reads values from the environment", () => {
    const cfg = loadConfig(specs(), { env: { T_COUNT: "7", T_NAME: "abc", T_EXTRA: "x" } });
    expect(cfg).toEqual({ count: 7, name: "abc", label: "label-abc", extra: "X" });
  });

  it("reads --flag value and --flag=value", () => {
    const cfg = loadConfig(specs(), { argv: ["--count", "8", "--name=node_1", "--label=a=b"] });
    expect(cfg.count).toBe(8);
    expect(cfg.name).toBe("node_1");
    // Only the first '=' separates the flag from its value.
    expect(cfg.label).toBe("a=b");
  });

  it("lets a flag beat the environment", () => {
    const cfg = loadConfig(specs(), { env: { T_COUNT: "2", T_NAME: "fromenv" }, argv: ["--count", "9"] });
    expect(cfg.count).toBe(9);
    expect(cfg.name).toBe("fromenv");
  });

  it("uses plain and function defaults; a function default sees options parsed before it", () => {
    const cfg = loadConfig(specs(), { env: { T_NAME: "n1" } });
    expect(cfg.count).toBe(5);
    expect(cfg.label).toBe("label-n1");
  });

  it("treats an empty value like a missing one", () => {
    const cfg = loadConfig(specs(), { env: { T_COUNT: "", T_NAME: "n1" } });
    expect(cfg.count).toBe(5);
  });

  it("leaves an optional option without a value undefined", () => {
    const cfg = loadConfig(specs(), { env: { T_NAME: "n1" } });
    expect(cfg.extra).toBeUndefined();
    expect(Object.hasOwn(cfg, "extra")).toBe(true);
  });

  it("reports a required option naming its env var and flag", () => {
    const problems = problemsOf(() => loadConfig(specs(), {}));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("T_NAME");
    expect(problems[0]).toContain("--name");
    expect(problems[0]).toContain("required");
  });

  it("reports every problem at once", () => {
    const problems = problemsOf(() =>
      loadConfig(specs(), {
        env: { T_COUNT: "0", T_NAME: "bad id!" },
        argv: ["--nope", "stray", "--label"],
      }),
    );
    expect(problems).toHaveLength(5);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^T_COUNT \(--count\): .*between 1 and 10.*"0"$/),
        expect.stringMatching(/^T_NAME \(--name\): .*"bad id!"$/),
        "unknown flag --nope",
        'unexpected argument "stray"',
        "--label needs a value",
      ]),
    );
  });

  it("reports a flag given without a value", () => {
    const problems = problemsOf(() => loadConfig(specs(), { env: { T_NAME: "n" }, argv: ["--label"] }));
    expect(problems).toEqual(["--label needs a value"]);
    const problems2 = problemsOf(() => loadConfig(specs(), { env: { T_NAME: "n" }, argv: ["--label", "--count", "3"] }));
    expect(problems2).toEqual(["--label needs a value"]);
  });

  it("accepts an explicitly empty --flag= value as not given", () => {
    const cfg = loadConfig(specs(), { argv: ["--name=n", "--count="] });
    expect(cfg.count).toBe(5);
  });

  it("reports an unknown flag in both forms", () => {
    const problems = problemsOf(() => loadConfig(specs(), { env: { T_NAME: "n" }, argv: ["--nope", "--also=1"] }));
    expect(problems).toEqual(["unknown flag --nope", "unknown flag --also"]);
  });

  it("reports stray positionals", () => {
    const problems = problemsOf(() => loadConfig(specs(), { env: { T_NAME: "n" }, argv: ["serve"] }));
    expect(problems).toEqual(['unexpected argument "serve"']);
  });

  it("puts every problem in the error message", () => {
    try {
      loadConfig(specs(), { env: { T_COUNT: "x" }, argv: ["--nope"] });
      expect.unreachable();
    } catch (err) {
      const e = err as ConfigError;
      expect(e.name).toBe("ConfigError");
      expect(e.problems).toHaveLength(3);
      for (const p of e.problems) expect(e.message).toContain(p);
    }
  });

  it("describes every option with env name, flag and doc", () => {
    const text = describeOptions(specs());
    for (const s of Object.values(specs())) {
      expect(text).toContain(s.env);
      expect(text).toContain(s.flag);
      expect(text).toContain(s.doc);
    }
  });
});

describe("parseInteger", () => {
  const p = parseInteger(1, 60);
  it("accepts integers within bounds, inclusive", () => {
    expect(p("1")).toBe(1);
    expect(p("60")).toBe(60);
    expect(p(" 30 ")).toBe(30);
  });
  it("rejects out-of-range, fractional and non-numeric values", () => {
    for (const raw of ["0", "61", "-1", "1.5", "abc", "", "1e1", "0x10"]) {
      expect(() => p(raw), raw).toThrow(/integer between 1 and 60/);
    }
  });
  it("handles negative bounds", () => {
    expect(parseInteger(-5, 5)("-5")).toBe(-5);
    expect(() => parseInteger(-5, 5)("-6")).toThrow();
  });
});

describe("parseHostPort", () => {
  it("parses host:port", () => {
    expect(parseHostPort("127.0.0.1:50051")).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(parseHostPort("my-host.example:80")).toEqual({ host: "my-host.example", port: 80 });
  });
  it("accepts port 0 and 65535", () => {
    expect(parseHostPort("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseHostPort("localhost:65535").port).toBe(65535);
  });
  it("accepts IPv6 hosts in brackets and keeps the brackets", () => {
    expect(parseHostPort("[::1]:8080")).toEqual({ host: "[::1]", port: 8080 });
    expect(parseHostPort("[::]:0")).toEqual({ host: "[::]", port: 0 });
    expect(parseHostPort("[fe80::1:2]:1")).toEqual({ host: "[fe80::1:2]", port: 1 });
  });
  it("rejects bad ports and shapes", () => {
    expect(() => parseHostPort("host:65536")).toThrow(/between 0 and 65535/);
    expect(() => parseHostPort("host:99999")).toThrow(/between 0 and 65535/);
    for (const raw of ["nohost", "host:", ":80", "host:-1", "host:abc", "host:123456", "::1:80", "a b:80", "http://h:80"]) {
      expect(() => parseHostPort(raw), raw).toThrow(/host:port/);
    }
  });
  it("round-trips through formatHostPort", () => {
    for (const raw of ["127.0.0.1:1", "[::1]:2", "h:0"]) expect(formatHostPort(parseHostPort(raw))).toBe(raw);
  });
});

describe("isLoopbackHost", () => {
  it("knows loopback from everything else", () => {
    expect(isLoopbackHost("127.0.0.1")).toBe(true);
    expect(isLoopbackHost("127.1.2.3")).toBe(true);
    expect(isLoopbackHost("localhost")).toBe(true);
    expect(isLoopbackHost("[::1]")).toBe(true);
    expect(isLoopbackHost("0.0.0.0")).toBe(false);
    expect(isLoopbackHost("[::]")).toBe(false);
    expect(isLoopbackHost("10.0.0.1")).toBe(false);
  });
});

describe("parseEtcdEndpoints", () => {
  it("splits, trims and drops empty entries", () => {
    expect(parseEtcdEndpoints("http://127.0.0.1:2379")).toEqual(["http://127.0.0.1:2379"]);
    expect(parseEtcdEndpoints(" http://a:2379 , https://b:2380,")).toEqual(["http://a:2379", "https://b:2380"]);
    // A scheme's default port written out is still a port.
    expect(parseEtcdEndpoints("http://a:80,https://b:443")).toEqual(["http://a:80", "https://b:443"]);
  });
  it("rejects an empty list", () => {
    expect(() => parseEtcdEndpoints(" , ")).toThrow(/at least one endpoint/);
  });
  it("rejects non-URLs, other schemes and URLs without a port", () => {
    for (const raw of ["127.0.0.1:2379", "grpc://a:2379", "http://a", "http://a:2379,nourl"]) {
      expect(() => parseEtcdEndpoints(raw), raw).toThrow(/must be a URL like/);
    }
  });
});

describe("parseId", () => {
  it("accepts ids of 1..64 chars from [A-Za-z0-9_-]", () => {
    expect(parseId("a")).toBe("a");
    expect(parseId("Node_1-x")).toBe("Node_1-x");
    expect(parseId("x".repeat(64))).toBe("x".repeat(64));
  });
  it("rejects everything else", () => {
    for (const raw of ["", "x".repeat(65), "bad id", "a.b", "a/b", "é", "a\n"]) {
      expect(() => parseId(raw), JSON.stringify(raw)).toThrow("^[A-Za-z0-9_-]{1,64}$");
    }
  });
});

describe("parseLogLevel", () => {
  it("accepts pino levels case-insensitively", () => {
    for (const l of ["trace", "debug", "info", "warn", "error", "fatal", "silent"]) expect(parseLogLevel(l)).toBe(l);
    expect(parseLogLevel(" WARN ")).toBe("warn");
  });
  it("rejects unknown levels", () => {
    expect(() => parseLogLevel("verbose")).toThrow(/must be one of trace, debug/);
  });
});

describe("parseBytes", () => {
  it("parses plain numbers and binary K/M/G suffixes", () => {
    expect(parseBytes("1048576")).toBe(1048576);
    expect(parseBytes("1K")).toBe(1024);
    expect(parseBytes("512M")).toBe(512 * 1024 ** 2);
    expect(parseBytes("2G")).toBe(2 * 1024 ** 3);
    expect(parseBytes("3k")).toBe(3 * 1024);
    expect(parseBytes("4MiB")).toBe(4 * 1024 ** 2);
    expect(parseBytes("5 GB")).toBe(5 * 1024 ** 3);
  });
  it("rejects zero, negatives, fractions, unknown units and overflow", () => {
    for (const raw of ["0", "0K", "-1", "1.5M", "10T", "M", "abc", ""]) {
      expect(() => parseBytes(raw), raw).toThrow();
    }
    expect(() => parseBytes("99999999999999999G")).toThrow(/positive byte count/);
  });
});

describe("commonOptions", () => {
  it("has documented defaults", () => {
    const cfg = loadConfig(commonOptions("store"), {});
    expect(cfg.leaseTtl).toBe(3);
    expect(cfg.listen).toEqual({ host: "127.0.0.1", port: 0 });
    expect(cfg.etcd).toEqual(["http://127.0.0.1:2379"]);
    expect(cfg.logLevel).toBe("info");
    expect(cfg.advertise).toBeUndefined();
    expect(cfg.nodeId).toMatch(/^store-[A-Za-z0-9_-]+$/);
    expect(() => parseId(cfg.nodeId)).not.toThrow();
  });

  it("generates a different default node id per load", () => {
    const a = loadConfig(commonOptions("trainer"), {}).nodeId;
    const b = loadConfig(commonOptions("trainer"), {}).nodeId;
    expect(a).not.toBe(b);
  });

  it("uses DESIGN.md's env names and flags", () => {
    const cfg = loadConfig(commonOptions("scheduler"), {
      env: { DML_ETCD: "http://e1:2379,http://e2:2379", DML_NODE_ID: "s1", DML_LISTEN: "0.0.0.0:7000", LOG_LEVEL: "debug" },
      argv: ["--advertise", "10.0.0.5:7000", "--lease-ttl=10"],
    });
    expect(cfg).toEqual({
      etcd: ["http://e1:2379", "http://e2:2379"],
      nodeId: "s1",
      listen: { host: "0.0.0.0", port: 7000 },
      advertise: { host: "10.0.0.5", port: 7000 },
      leaseTtl: 10,
      logLevel: "debug",
    });
  });

  it.each(["0", "61", "abc"])("rejects DML_LEASE_TTL=%s", (ttl) => {
    const problems = problemsOf(() => loadConfig(commonOptions("trainer"), { env: { DML_LEASE_TTL: ttl } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("DML_LEASE_TTL");
    expect(problems[0]).toContain("--lease-ttl");
    expect(problems[0]).toContain(JSON.stringify(ttl));
  });

  it("accepts the lease TTL bounds 1 and 60", () => {
    expect(loadConfig(commonOptions("trainer"), { env: { DML_LEASE_TTL: "1" } }).leaseTtl).toBe(1);
    expect(loadConfig(commonOptions("trainer"), { env: { DML_LEASE_TTL: "60" } }).leaseTtl).toBe(60);
  });
});
