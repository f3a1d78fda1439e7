// Every node of a real cluster (etcd + scheduler + trainer + store + gateway as child processes)
// answers grpc.health.v1 and server reflection over both grpc.reflection.v1 and v1alpha, as
// `grpcurl -plaintext HOST:PORT list` / `describe` need; unimplemented RPCs answer UNIMPLEMENTED;
// the gateway's public ClusterService lists the cluster; SIGTERM stops a node gracefully.
//
// Reflection is checked with an independent client from npm, grpc-js-reflection-client, which
// speaks both versions (its 4th constructor argument picks the path; it defaults to v1alpha).
import { credentials, Metadata, type Client } from "@grpc/grpc-js";
import { GrpcReflection } from "grpc-js-reflection-client";
import { ClientError, createChannel, createClient, Status, type Channel } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { HealthCheckResponse_ServingStatus } from "nice-grpc-server-health/lib/proto/grpc/health/v1/health.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { benchmarkV1, clusterV1 } from "@dml/proto";
import { KEYS, type Role } from "@dml/runtime";
import { TestCluster, waitFor, type TestNode } from "@dml/testkit";

const RPC_TIMEOUT_MS = 5_000;

// Written out here rather than taken from the services' code, so the test states the contract.
const SERVICES: Record<Role, readonly string[]> = {
  scheduler: ["dml.work.v1.WorkService"],
  trainer: ["dml.trainer.v1.TrainerService"],
  store: ["dml.store.v1.StoreService"],
  gateway: [
    "dml.cluster.v1.ClusterService",
    "dml.dataset.v1.DatasetService",
    "dml.training.v1.TrainingService",
    "dml.model.v1.ModelService",
    "dml.prediction.v1.PredictionService",
    "dml.benchmark.v1.BenchmarkService",
  ],
};

// One service per role and RPCs it must have (from proto/dml/<area>/v1/*.proto; later issues may add more).
const DESCRIBED: Record<Role, { service: string; rpcs: string[] }> = {
  scheduler: { service: "dml.work.v1.WorkService", rpcs: ["ConnectWork", "ReportProgress", "CompleteTask"] },
  trainer: { service: "dml.trainer.v1.TrainerService", rpcs: ["Predict", "EvictModel", "GetTrainerStatus"] },
  store: {
    service: "dml.store.v1.StoreService",
    rpcs: ["PutObject", "GetObject", "HeadObject", "DeleteObject", "ListObjects", "CopyObjectFrom"],
  },
  gateway: {
    service: "dml.dataset.v1.DatasetService",
    rpcs: ["UploadDataset", "GetDataset", "ListDatasets", "GetDatasetRows", "DownloadDataset", "DeleteDataset", "StreamDatasetBatches"],
  },
};

const ROLES = Object.keys(SERVICES) as Role[];
const REFLECTION_VERSIONS = ["v1", "v1alpha"] as const;

/** Resolves with `promise`, or fails with `message` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${message}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const callOptions = () => ({ signal: AbortSignal.timeout(RPC_TIMEOUT_MS) });
const reflectionCallOptions = () => ({ deadline: Date.now() + RPC_TIMEOUT_MS });

describe("health, reflection and graceful shutdown on every node", () => {
  let cluster: TestCluster;
  const channels: Channel[] = [];
  const reflectionClients: GrpcReflection[] = [];

  const channelTo = (node: TestNode): Channel => {
    const channel = createChannel(node.address);
    channels.push(channel);
    return channel;
  };

  const reflectionTo = (node: TestNode, version: (typeof REFLECTION_VERSIONS)[number]): GrpcReflection => {
    const client = new GrpcReflection(node.address, credentials.createInsecure(), {}, version);
    reflectionClients.push(client);
    return client;
  };

  const nodes = (): TestNode[] => ROLES.flatMap((role) => cluster.byRole(role));

  beforeAll(async () => {
    cluster = await TestCluster.start({ schedulers: 1, trainers: 1, stores: 1, gateways: 1 });
  });

  afterAll(async () => {
    for (const channel of channels) channel.close();
    // The library keeps its grpc-js client private and has no close(); reach it so no channel leaks.
    for (const client of reflectionClients) (client as unknown as { client: Client }).client.close();
    await cluster?.stop();
  });

  it("every node reports SERVING overall and for each of its role's services", async () => {
    expect(nodes().map((n) => n.role).sort()).toEqual(["gateway", "scheduler", "store", "trainer"]);
    for (const node of nodes()) {
      const health = createClient(HealthDefinition, channelTo(node));
      for (const service of ["", ...SERVICES[node.role]]) {
        const res = await health.check({ service }, callOptions());
        expect(res.status, `${node.id} health of "${service}"`).toBe(HealthCheckResponse_ServingStatus.SERVING);
      }
      // A service the node does not serve is not reported healthy.
      const foreign = node.role === "store" ? "dml.trainer.v1.TrainerService" : "dml.store.v1.StoreService";
      await expect(health.check({ service: foreign }, callOptions()), `${node.id} health of ${foreign}`).rejects.toMatchObject({
        code: Status.NOT_FOUND,
      });
    }
  });

  it.each(REFLECTION_VERSIONS)("reflection %s lists exactly the role's dml.* services on every node", async (version) => {
    for (const node of nodes()) {
      const listed = await reflectionTo(node, version).listServices("*", new Metadata(), reflectionCallOptions());
      const dml = listed.filter((s) => s.startsWith("dml."));
      expect(dml.sort(), `${node.id} (${node.role}) list over ${version}`).toEqual([...SERVICES[node.role]].sort());
      // grpc.health.v1 is listed and describable too, so grpcurl can call Health/Check by name.
      expect(listed, `${node.id} lists health over ${version}`).toContain("grpc.health.v1.Health");
      const health = await reflectionTo(node, version).getDescriptorBySymbol("grpc.health.v1.Health", new Metadata(), reflectionCallOptions());
      const svc = health.getProtobufJsRoot().lookupService("grpc.health.v1.Health");
      expect(Object.keys(svc.methods).sort()).toEqual(["Check", "Watch"]);
    }
  });

  it.each(REFLECTION_VERSIONS)("reflection %s file_containing_symbol describes the role's service with its RPCs", async (version) => {
    for (const node of nodes()) {
      const { service, rpcs } = DESCRIBED[node.role];
      // Fetches the file holding the symbol, then its imports by file name, as `grpcurl describe` does.
      const descriptor = await reflectionTo(node, version).getDescriptorBySymbol(service, new Metadata(), reflectionCallOptions());
      const svc = descriptor.getProtobufJsRoot().lookupService(service);
      // Every request/response type resolves: the descriptor and its dependencies are complete.
      svc.resolveAll();
      expect(Object.keys(svc.methods), `${node.id} ${service} over ${version}`).toEqual(expect.arrayContaining(rpcs));
      for (const method of Object.values(svc.methods)) {
        expect(method.resolvedRequestType, `${service}/${method.name} request type`).not.toBeNull();
        expect(method.resolvedResponseType, `${service}/${method.name} response type`).not.toBeNull();
      }
    }
  });

  it("an unimplemented RPC answers UNIMPLEMENTED", async () => {
    const [gateway] = cluster.byRole("gateway");
    // Benchmarks arrive with a later issue; until then the RPC must say so.
    const benchmarks = createClient(benchmarkV1.BenchmarkServiceDefinition, channelTo(gateway!));
    const err = await benchmarks.getBenchmark({ benchmarkId: "b1" }, callOptions()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, "GetBenchmark must fail, not return a fake result").toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe(Status.UNIMPLEMENTED);
    expect((err as ClientError).details).toContain("GetBenchmark");
  });

  it("the gateway's ClusterService.GetCluster lists the 4 DML nodes and etcd, with the scheduler as leader", async () => {
    const [gateway] = cluster.byRole("gateway");
    const [scheduler] = cluster.byRole("scheduler");
    const api = createClient(clusterV1.ClusterServiceDefinition, channelTo(gateway!));
    const { NodeRole, NodeState } = clusterV1;
    // The election finishes a moment after the scheduler's ready line.
    const res = await waitFor(
      async () => {
        const r = await api.getCluster({}, callOptions());
        return r.leader !== "" && r;
      },
      { timeoutMs: 10_000, message: "GetCluster to report a leader scheduler" },
    );
    const dmlNodes = res.nodes.filter((n) => n.role !== NodeRole.NODE_ROLE_ETCD);
    const etcdNodes = res.nodes.filter((n) => n.role === NodeRole.NODE_ROLE_ETCD);
    expect(dmlNodes.map((n) => [n.id, n.address]).sort()).toEqual(nodes().map((n) => [n.id, n.address]).sort());
    expect(dmlNodes.every((n) => n.state === NodeState.NODE_STATE_UP)).toBe(true);
    expect(etcdNodes).toHaveLength(1);
    expect(etcdNodes[0]!.state).toBe(NodeState.NODE_STATE_UP);
    expect(`http://${etcdNodes[0]!.address}`).toBe(cluster.etcdEndpoint);
    const leaders = res.nodes.filter((n) => n.leader);
    expect(leaders.map((n) => [n.id, n.role])).toEqual([[scheduler!.id, NodeRole.NODE_ROLE_SCHEDULER]]);
    expect(res.leader).toBe(scheduler!.id);
    expect(res.leadership?.leaderId).toBe(scheduler!.id);
    expect(res.leadership?.fencingRevision).toBeGreaterThan(0);
  });

  // Last: it takes the trainer away.
  it("SIGTERM stops the trainer gracefully: exit 0, logs, membership key gone at once", async () => {
    const [trainer] = cluster.byRole("trainer");
    const etcd = cluster.client();
    const key = KEYS.node(trainer!.id);
    expect(await etcd.get(key).string(), `${key} before SIGTERM`).not.toBeNull();

    trainer!.proc.kill("SIGTERM");
    const exit = await within(trainer!.exited, 10_000, `${trainer!.id} to exit after SIGTERM`);
    // Read before anything else: with the lease revoked the key is already gone; left to expire
    // (TTL 3 s) it would still be there.
    const after = await etcd.get(key).string();

    expect(exit, `${trainer!.id} exit`).toEqual({ code: 0, signal: null });
    expect(after, `${key} right after exit (lease must be revoked, not left to expire)`).toBeNull();
    const entries = trainer!.lines.flatMap((raw) => {
      try {
        return [JSON.parse(raw) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    const msgs = entries.map((e) => e["msg"]);
    const shuttingDown = msgs.indexOf("shutting down");
    const stopped = msgs.indexOf("stopped");
    expect(shuttingDown, `"shutting down" in ${trainer!.id}'s log`).toBeGreaterThanOrEqual(0);
    expect(stopped, `"stopped" after "shutting down" in ${trainer!.id}'s log`).toBeGreaterThan(shuttingDown);
    for (const i of [shuttingDown, stopped]) {
      expect(entries[i], "log lines carry {service, node}").toMatchObject({ service: "trainer", node: trainer!.id });
    }
  });
});
