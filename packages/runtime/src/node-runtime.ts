// What every role does the same way: logger, etcd client, gRPC server with health and
// reflection, membership under a lease, one `ready` line, and an orderly stop.
import { hostname } from "node:os";
import type { Etcd3 } from "etcd3";
import type { Logger } from "pino";
import type { ServerMiddleware } from "nice-grpc";
import type { CommonConfig, Role } from "./config.js";
import { formatHostPort } from "./config.js";
import { createEtcdClient } from "./etcd.js";
import { startGrpcServer, type GrpcServerHandle, type ServiceRegistration } from "./grpc-server.js";
import { createLogger } from "./logger.js";
import { Membership, type NodeRecord } from "./membership.js";
import { DML_VERSION } from "./version.js";

export interface StartNodeOptions {
  role: Role;
  config: CommonConfig;
  services: ServiceRegistration[];
  /** Role-specific fields of the membership record (http, slots, stats). */
  record?: Pick<Partial<NodeRecord>, "http" | "slots" | "stats">;
  /** Extra fields for the `ready` log line. */
  ready?: Record<string, unknown>;
  logger?: Logger;
  middleware?: ServerMiddleware;
  /** An etcd client the caller created earlier; the node takes it over and closes it at stop. */
  etcd?: Etcd3;
}

export interface RunningNode {
  nodeId: string;
  role: Role;
  /** The advertised gRPC host:port. */
  address: string;
  log: Logger;
  etcd: Etcd3;
  grpc: GrpcServerHandle;
  membership: Membership;
  /** Registers cleanup run at stop, before the gRPC server and membership go (last added, first run). */
  onStop(fn: () => Promise<void> | void): void;
  stop(): Promise<void>;
}

export async function startNode(opts: StartNodeOptions): Promise<RunningNode> {
  const { config, role } = opts;
  const log = opts.logger ?? createLogger({ service: role, node: config.nodeId, level: config.logLevel });
  const etcd = opts.etcd ?? createEtcdClient(config.etcd);
  let grpc: GrpcServerHandle | undefined;
  try {
    grpc = await startGrpcServer({ listen: config.listen, services: opts.services, log, middleware: opts.middleware });
    const advertiseHost =
      config.advertise?.host ?? (config.listen.host === "0.0.0.0" || config.listen.host === "[::]" ? hostname() : config.listen.host);
    const address = formatHostPort({ host: advertiseHost, port: config.advertise?.port ?? grpc.port });
    const membership = new Membership(
      etcd,
      {
        id: config.nodeId,
        role,
        address,
        state: "up",
        startedAt: new Date().toISOString(),
        version: DML_VERSION,
        pid: process.pid,
        ...opts.record,
      },
      config.leaseTtl,
      log.child({ component: "membership" }),
    );
    await membership.start();
    const stopHooks: Array<() => Promise<void> | void> = [];
    let stopping: Promise<void> | undefined;
    const node: RunningNode = {
      nodeId: config.nodeId,
      role,
      address,
      log,
      etcd,
      grpc,
      membership,
      onStop: (fn) => stopHooks.push(fn),
      stop: () => {
        stopping ??= (async () => {
          log.info("shutting down");
          grpc!.setServing(false);
          await membership.update({ state: "draining" }).catch(() => undefined);
          for (const hook of stopHooks.reverse()) {
            await Promise.resolve(hook()).catch((err) => log.warn({ err }, "stop hook failed"));
          }
          await grpc!.stop();
          await membership.stop();
          etcd.close();
          log.info("stopped");
        })();
        return stopping;
      },
    };
    // The launcher and the test kit wait for this line, so it is written whatever LOG_LEVEL says.
    log.child({}, { level: "info" }).info({ address, bound: grpc.boundAddress, role, ...opts.ready }, "ready");
    return node;
  } catch (err) {
    await grpc?.stop(0).catch(() => undefined);
    etcd.close();
    throw err;
  }
}
