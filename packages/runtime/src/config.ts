// Configuration from environment variables and command-line flags of the same meaning
// (DESIGN.md's names). This module is the only reader of process.env for a node: each role
// declares its options, loadConfig() validates them all and reports every problem at once.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** One option: read from `env` or `--flag`, parsed and validated by `parse` (throws a message). */
export interface OptionSpec<T> {
  env: string;
  flag: string;
  doc: string;
  /** Used when neither env nor flag is given; a function may derive it from options parsed before it. */
  default?: T | ((partial: Record<string, unknown>) => T);
  /** When true and no value and no default is given, the option is simply undefined. */
  optional?: boolean;
  parse(raw: string): T;
}

export type OptionSpecs = Record<string, OptionSpec<unknown>>;
export type ConfigOf<S extends OptionSpecs> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

export interface ConfigSource {
  env?: Record<string, string | undefined>;
  argv?: string[];
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses `--flag value` / `--flag=value` pairs; an unknown flag is a problem, not ignored. */
function parseFlags(argv: string[], specs: OptionSpecs, problems: string[]): Map<string, string> {
  const known = new Set(Object.values(specs).map((s) => s.flag));
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      problems.push(`unexpected argument "${arg}"`);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!known.has(flag)) {
      problems.push(`unknown flag ${flag}`);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) value = argv[++i];
    if (value === undefined) problems.push(`${flag} needs a value`);
    else values.set(flag, value);
  }
  return values;
}

export function loadConfig<S extends OptionSpecs>(specs: S, source: ConfigSource = {}): ConfigOf<S> {
  const env = source.env ?? {};
  const problems: string[] = [];
  const flags = parseFlags(source.argv ?? [], specs, problems);
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const raw = flags.get(spec.flag) ?? env[spec.env];
    if (raw === undefined || raw === "") {
      if (spec.default === undefined) {
        if (spec.optional) out[key] = undefined;
        else problems.push(`${spec.env} (${spec.flag}) is required: ${spec.doc}`);
      } else {
        out[key] = typeof spec.default === "function" ? (spec.default as (p: Record<string, unknown>) => unknown)(out) : spec.default;
      }
      continue;
    }
    try {
      out[key] = spec.parse(raw);
    } catch (err) {
      problems.push(`${spec.env} (${spec.flag}): ${(err as Error).message}, got ${JSON.stringify(raw)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Help text listing every option with its env name, flag and meaning. */
export function describeOptions(specs: OptionSpecs): string {
  return Object.values(specs)
    .map((s) => `  ${s.flag.padEnd(22)} ${s.env.padEnd(22)} ${s.doc}`)
    .join("\n");
}

// ---- parsers -------------------------------------------------------------------------------

export function parseInteger(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be an integer between ${min} and ${max}`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be an integer between ${min} and ${max}`);
    return n;
  };
}

export interface HostPort {
  host: string;
  port: number;
}

/** host:port with port 0..65535 (0 = pick a free port); IPv6 hosts in brackets. */
export function parseHostPort(raw: string): HostPort {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
  if (!m) throw new Error("must be host:port");
  const port = Number(m[2]);
  if (port > 65535) throw new Error("port must be between 0 and 65535");
  return { host: m[1]!, port };
}

export function formatHostPort(hp: HostPort): string {
  return `${hp.host}:${hp.port}`;
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}

export function parseEtcdEndpoints(raw: string): string[] {
  const endpoints = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (endpoints.length === 0) throw new Error("must list at least one endpoint");
  for (const e of endpoints) {
    let url: URL;
    try {
      url = new URL(e);
    } catch {
      throw new Error(`endpoint "${e}" must be a URL like http://127.0.0.1:2379`);
    }
    // URL drops a scheme's default port (":80"), so look for the port in the text itself.
    if ((url.protocol !== "http:" && url.protocol !== "https:") || !/:\d+\/?$/.test(e)) {
      throw new Error(`endpoint "${e}" must be a URL like http://127.0.0.1:2379`);
    }
  }
  return endpoints;
}

export function parseId(raw: string): string {
  if (!ID_PATTERN.test(raw)) throw new Error("must match ^[A-Za-z0-9_-]{1,64}$");
  return raw;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(raw: string): LogLevel {
  const level = raw.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`must be one of ${LOG_LEVELS.join(", ")}`);
  return level as LogLevel;
}

/** Byte sizes: a plain number or with a K/M/G suffix (binary units). */
export function parseBytes(raw: string): number {
  const m = /^(\d+)\s*([KMG]i?B?)?$/i.exec(raw.trim());
  if (!m) throw new Error("must be a byte count such as 1048576, 512M or 2G");
  const unit = (m[2] ?? "").toUpperCase()[0];
  const mult = unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1;
  const n = Number(m[1]) * mult;
  if (n <= 0 || !Number.isSafeInteger(n)) throw new Error("must be a positive byte count");
  return n;
}

// ---- options shared by every role ------------------------------------------------------------

export type Role = "scheduler" | "trainer" | "store" | "gateway";

function defaultNodeId(role: Role): string {
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40);
  return `${role}-${host}-${randomBytes(3).toString("hex")}`;
}

export function commonOptions(role: Role) {
  return {
    etcd: {
      env: "DML_ETCD",
      flag: "--etcd",
      doc: "etcd endpoints, comma-separated URLs",
      default: ["http://127.0.0.1:2379"],
      parse: parseEtcdEndpoints,
    } as OptionSpec<string[]>,
    nodeId: {
      env: "DML_NODE_ID",
      flag: "--node-id",
      doc: "this node's id, unique in the cluster (default: role-host-random)",
      default: () => defaultNodeId(role),
      parse: parseId,
    } as OptionSpec<string>,
    listen: {
      env: "DML_LISTEN",
      flag: "--listen",
      doc: "gRPC listen address host:port (port 0 picks a free one)",
      default: { host: "127.0.0.1", port: 0 },
      parse: parseHostPort,
    } as OptionSpec<HostPort>,
    advertise: {
      env: "DML_ADVERTISE",
      flag: "--advertise",
      doc: "gRPC address other nodes use to reach this one (default: the bound address)",
      optional: true,
      parse: parseHostPort,
    } as OptionSpec<HostPort | undefined>,
    leaseTtl: {
      env: "DML_LEASE_TTL",
      flag: "--lease-ttl",
      doc: "membership lease TTL in seconds; a dead node vanishes after about this long",
      default: 3,
      parse: parseInteger(1, 60),
    } as OptionSpec<number>,
    logLevel: {
      env: "LOG_LEVEL",
      flag: "--log-level",
      doc: "trace, debug, info, warn, error, fatal or silent",
      default: "info",
      parse: parseLogLevel,
    } as OptionSpec<LogLevel>,
  };
}

export type CommonConfig = ConfigOf<ReturnType<typeof commonOptions>>;
