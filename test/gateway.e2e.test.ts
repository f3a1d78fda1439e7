// The gateway with a whole cluster behind it (the `dml up` layout): GET /v1/cluster exactly as
// DESIGN.md specifies, health, the JSON error format, the OpenAPI document, and the API token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, Metadata, Status, type Channel } from "nice-grpc";
import { clusterV1 } from "@dml/proto";
import { HealthDefinition } from "nice-grpc-server-health";
import { DEFAULT_LAYOUT } from "@dml/cli";
import { TestCluster, waitFor, type TestNode } from "@dml/testkit";

interface ClusterBody {
  leader: string | null;
  nodes: Array<Record<string, unknown> & { id: string; role: string; address: string; state: string }>;
}

const TOKEN = "test-token-0123456789";
let cluster: TestCluster;
let securedGateway: TestNode;
const channels: Channel[] = [];

async function getJson(path: string, init: RequestInit = {}, base = cluster.httpUrl) {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  cluster = await TestCluster.start({
    schedulers: DEFAULT_LAYOUT.schedulers,
    trainers: DEFAULT_LAYOUT.trainers,
    stores: DEFAULT_LAYOUT.stores,
    gateways: DEFAULT_LAYOUT.gateways,
  });
  securedGateway = await cluster.startNode("gateway", { id: "gateway-secured", env: { DML_API_TOKEN: TOKEN } });
});

afterAll(async () => {
  for (const c of channels) c.close();
  await cluster?.stop();
});

describe("GET /v1/cluster", () => {
  it("lists every node of every role, etcd and both gateways included, with one leader marked", async () => {
    const body = await waitFor(
      async () => {
        const { status, body } = await getJson("/v1/cluster");
        return status === 200 && (body as unknown as ClusterBody).leader ? (body as unknown as ClusterBody) : undefined;
      },
      { timeoutMs: 10_000, message: "cluster view with a leader" },
    );
    const byRole = (role: string) => body.nodes.filter((n) => n.role === role);
    expect(byRole("scheduler")).toHaveLength(DEFAULT_LAYOUT.schedulers);
    expect(byRole("trainer")).toHaveLength(DEFAULT_LAYOUT.trainers);
    expect(byRole("store")).toHaveLength(DEFAULT_LAYOUT.stores);
    expect(byRole("gateway")).toHaveLength(DEFAULT_LAYOUT.gateways + 1);
    expect(byRole("etcd")).toHaveLength(1);
    // The `dml up` layout is 9 processes: etcd + 2 schedulers + 2 trainers + 3 stores + 1 gateway.
    expect(body.nodes).toHaveLength(9 + 1);

    for (const n of body.nodes.filter((x) => x.role !== "etcd")) {
      const node = cluster.node(n.id);
      expect(n.address, `${n.id} address is its gRPC host:port`).toBe(node.address);
      expect(n.state).toBe("up");
    }
    const leaders = body.nodes.filter((n) => n.leader === true);
    expect(leaders).toHaveLength(1);
    expect(leaders[0]!.role).toBe("scheduler");
    expect(leaders[0]!.id).toBe(body.leader);
    for (const s of byRole("scheduler")) expect(typeof s["leader"]).toBe("boolean");
    for (const t of byRole("trainer")) expect(t["slots"]).toEqual(expect.any(Number));
    for (const g of byRole("gateway")) expect(g["http"]).toBe(cluster.node(g.id).http);
    const etcd = byRole("etcd")[0]!;
    expect(`http://${etcd.address}`).toBe(cluster.etcdEndpoint);
    expect(etcd.state).toBe("up");
  });

  it("answers the same through the public gRPC ClusterService", async () => {
    const gateway = cluster.byRole("gateway")[0]!;
    const channel = createChannel(gateway.address);
    channels.push(channel);
    const res = await createClient(clusterV1.ClusterServiceDefinition, channel).getCluster({});
    const rest = (await getJson("/v1/cluster")).body as unknown as ClusterBody;
    expect(res.leader).toBe(rest.leader);
    expect(res.nodes.map((n) => n.id).sort()).toEqual(rest.nodes.map((n) => n.id).sort());
    expect(res.leadership?.fencingRevision).toBeGreaterThan(0);
    const etcd = res.nodes.find((n) => n.role === clusterV1.NodeRole.NODE_ROLE_ETCD);
    expect(etcd?.state).toBe(clusterV1.NodeState.NODE_STATE_UP);
  });

  it("reflects a killed node and a new leader", async () => {
    const before = (await getJson("/v1/cluster")).body as unknown as ClusterBody;
    const leader = cluster.node(before.leader!);
    await leader.kill("SIGKILL");
    const after = await waitFor(
      async () => {
        const body = (await getJson("/v1/cluster")).body as unknown as ClusterBody;
        return body.leader && body.leader !== leader.id && !body.nodes.some((n) => n.id === leader.id) ? body : undefined;
      },
      { timeoutMs: 8_000, message: "killed leader gone from /v1/cluster and a new one marked" },
    );
    expect(after.nodes.filter((n) => n.leader === true).map((n) => n.id)).toEqual([after.leader]);
  });
});

describe("HTTP basics", () => {
  it("GET /healthz is 200", async () => {
    const { status, body } = await getJson("/healthz");
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok" });
  });

  it("errors are JSON {error: {code, message, details}} with the matching status", async () => {
    const notFound = await getJson("/v1/nope");
    expect(notFound.status).toBe(404);
    expect(notFound.type).toContain("application/json");
    expect(notFound.body).toEqual({ error: { code: "NOT_FOUND", message: expect.stringContaining("/v1/nope"), details: {} } });

    const wrongMethod = await getJson("/v1/cluster", { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).toMatchObject({ error: { code: "METHOD_NOT_ALLOWED", details: { allowed: ["GET"] } } });
  });

  it("serves an OpenAPI 3.1 document whose every GET path answers 200, and a docs page", async () => {
    const { status, body } = await getJson("/openapi.json");
    expect(status).toBe(200);
    expect(body["openapi"]).toBe("3.1.0");
    const paths = body["paths"] as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(["/healthz", "/v1/cluster", "/openapi.json", "/docs"]));
    for (const [path, ops] of Object.entries(paths)) {
      if (!ops["get"] || path.includes("{")) continue;
      const res = await fetch(`${cluster.httpUrl}${path}`);
      expect(res.status, `GET ${path}`).toBe(200);
    }
    const docs = await fetch(`${cluster.httpUrl}/docs`);
    expect(docs.headers.get("content-type")).toContain("text/html");
    expect(await docs.text()).toContain("/v1/cluster");
  });
});

describe("DML_API_TOKEN", () => {
  it("requires the bearer token on REST, except /healthz", async () => {
    const base = securedGateway.http!;
    expect((await getJson("/healthz", {}, base)).status).toBe(200);
    const denied = await getJson("/v1/cluster", {}, base);
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    expect((await getJson("/v1/cluster", { headers: { authorization: "Bearer wrong-token-xx" } }, base)).status).toBe(401);
    expect((await getJson("/v1/cluster", { headers: { authorization: `Bearer ${TOKEN}` } }, base)).status).toBe(200);
  });

  it("requires it on the public gRPC API, but not for health", async () => {
    const channel = createChannel(securedGateway.address);
    channels.push(channel);
    const client = createClient(clusterV1.ClusterServiceDefinition, channel);
    await expect(client.getCluster({})).rejects.toMatchObject({ code: Status.UNAUTHENTICATED });
    const res = await client.getCluster({}, { metadata: Metadata({ authorization: `Bearer ${TOKEN}` }) });
    expect(res.nodes.length).toBeGreaterThan(0);
    const health = await createClient(HealthDefinition, channel).check({ service: "" });
    expect(health.status).toBe(1); // SERVING, without a token: probes carry no secret
  });
});
