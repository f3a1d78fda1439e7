import { availableParallelism } from "node:os";
import {
  commonOptions,
  ConfigError,
  isLoopbackHost,
  loadConfig,
  parseBytes,
  parseHostPort,
  parseInteger,
  type ConfigOf,
  type ConfigSource,
  type HostPort,
} from "@dml/runtime";

export function gatewayOptions() {
  return {
    ...commonOptions("gateway"),
    httpListen: {
      env: "DML_HTTP_LISTEN",
      flag: "--http-listen",
      doc: "REST/HTTP listen address host:port",
      default: { host: "127.0.0.1", port: 8080 } as HostPort,
      parse: parseHostPort,
    },
    apiToken: {
      env: "DML_API_TOKEN",
      flag: "--api-token",
      doc: "when set, every request needs Authorization: Bearer TOKEN (required beyond loopback)",
      optional: true,
      parse: (raw: string) => {
        if (raw.length < 8) throw new Error("must be at least 8 characters");
        return raw;
      },
    },
    maxUploadBytes: {
      env: "DML_MAX_UPLOAD_BYTES",
      flag: "--max-upload-bytes",
      doc: "largest accepted upload body (e.g. 2G)",
      default: 4 * 1024 ** 3,
      parse: parseBytes,
    },
    ingestWorkers: {
      env: "DML_INGEST_WORKERS",
      flag: "--ingest-workers",
      doc: "worker threads that parse uploads; a large upload is parsed on up to this many at once",
      default: availableParallelism(),
      parse: parseInteger(1, 64),
    },
    replication: {
      env: "DML_REPLICATION",
      flag: "--replication",
      doc: "replicas per stored batch (capped by live stores)",
      default: 3,
      parse: parseInteger(1, 16),
    },
  };
}

export type GatewayConfig = ConfigOf<ReturnType<typeof gatewayOptions>>;

export function loadGatewayConfig(source: ConfigSource): GatewayConfig {
  const config = loadConfig(gatewayOptions(), source);
  const exposed = [config.httpListen, config.listen].filter((hp) => !isLoopbackHost(hp.host));
  if (exposed.length > 0 && !config.apiToken) {
    throw new ConfigError([
      `DML_API_TOKEN (--api-token) is required: the gateway listens beyond loopback (${exposed
        .map((hp) => `${hp.host}:${hp.port}`)
        .join(", ")})`,
    ]);
  }
  return config;
}
