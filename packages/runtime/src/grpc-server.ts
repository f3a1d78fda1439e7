// The gRPC server every role runs: nice-grpc with raised message limits, grpc.health.v1,
// reflection (v1 and v1alpha), and a middleware that maps domain errors through the one table.
import http2 from "node:http2";
import { createServer, ServerError, Status, type Server, type ServerMiddleware } from "nice-grpc";
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health";
import type { Logger } from "pino";
import { FLOW_CONTROL_WINDOW_BYTES, SERVER_OPTIONS } from "./grpc-options.js";
import { toServerError } from "./errors.js";
import { addReflection } from "./reflection.js";
import { formatHostPort, type HostPort } from "./config.js";

const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";

export interface ServiceRegistration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  definition: { fullName: string } & Record<string, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  implementation: any;
}

export interface GrpcServerHandle {
  server: Server;
  health: HealthState;
  /** The actually bound port (resolves port 0). */
  port: number;
  /** host:port as bound. */
  boundAddress: string;
  setServing(serving: boolean): void;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cuts them. */
  stop(graceMs?: number): Promise<void>;
}

let serverWindowRaised = false;

/**
 * grpc-js servers advertise HTTP/2's default 64 KiB receive window and take no option to change it
 * (grpc-node.flow_control_window is read by clients only; grpc/grpc-node#3058), so every client
 * stream of a big object stalls on WINDOW_UPDATE round trips. grpc-js creates its HTTP/2 servers
 * with node:http2's createServer, looked up at call time: wrap it, once per process, so every
 * HTTP/2 server here (only gRPC servers use HTTP/2 in DML) advertises a larger stream window and
 * opens the connection window as soon as a session starts.
 */
export function raiseServerFlowControlWindow(bytes = FLOW_CONTROL_WINDOW_BYTES): void {
  if (serverWindowRaised) return;
  serverWindowRaised = true;
  const create = http2.createServer;
  const raised = (options?: http2.ServerOptions, ...rest: unknown[]): http2.Http2Server => {
    if (typeof options === "function") return (create as (...args: unknown[]) => http2.Http2Server)(options, ...rest);
    const settings = { initialWindowSize: bytes, ...options?.settings };
    const server = (create as (...args: unknown[]) => http2.Http2Server)({ ...options, settings }, ...rest);
    server.on("session", (session: http2.ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(bytes);
      } catch {
        // a session already closing: nothing to raise
      }
    });
    return server;
  };
  http2.createServer = raised as typeof http2.createServer;
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

function errorMappingMiddleware(log: Logger): ServerMiddleware {
  return async function* mapErrors(call, context) {
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      if (isAbortError(err)) throw err;
      const mapped = toServerError(err);
      if (mapped.code === Status.INTERNAL && !(err instanceof ServerError)) {
        log.error({ err, method: call.method.path }, "unexpected error in handler");
      }
      throw mapped;
    }
  };
}

export async function startGrpcServer(opts: {
  listen: HostPort;
  services: ServiceRegistration[];
  log: Logger;
  /** Runs after error mapping on every call (e.g. the gateway's bearer-token check). */
  middleware?: ServerMiddleware;
}): Promise<GrpcServerHandle> {
  raiseServerFlowControlWindow();
  const mapped = createServer(SERVER_OPTIONS).use(errorMappingMiddleware(opts.log));
  const server = (opts.middleware ? mapped.use(opts.middleware) : mapped) as Server;
  const health = HealthState();
  server.add(HealthDefinition, HealthServiceImpl(health));
  for (const s of opts.services) server.add(s.definition, s.implementation);
  // Health is listed too, so `grpcurl ... grpc.health.v1.Health/Check` can resolve its schema.
  addReflection(server, [...opts.services.map((s) => s.definition.fullName), HEALTH_SERVICE_NAME]);
  const port = await server.listen(formatHostPort(opts.listen));
  const setServing = (serving: boolean) => {
    const status = serving ? "healthy" : "unhealthy";
    health.setStatus(status);
    for (const s of opts.services) health.setStatus(status, s.definition.fullName);
  };
  setServing(true);
  return {
    server,
    health,
    port,
    boundAddress: formatHostPort({ host: opts.listen.host, port }),
    setServing,
    async stop(graceMs = 5_000) {
      setServing(false);
      let timer: NodeJS.Timeout | undefined;
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
      });
      await Promise.race([server.shutdown(), forced]);
      clearTimeout(timer);
    },
  };
}
