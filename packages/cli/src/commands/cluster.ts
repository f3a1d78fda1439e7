// `dml cluster`: the nodes of the cluster and the leader, from GET /v1/cluster.
import { getJson, gatewayTarget } from "../gateway-client.js";
import { parseArgs, rejectUnknownFlags, stringFlag } from "../args.js";
import { printTable } from "../table.js";

interface ClusterResponse {
  leader: string | null;
  nodes: Array<{ id: string; role: string; address: string; http?: string; state: string; leader?: boolean; slots?: number }>;
}

export async function clusterCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(["json"]));
  rejectUnknownFlags(args, ["json", "gateway", "token"]);
  const target = gatewayTarget({ gateway: stringFlag(args, "gateway"), token: stringFlag(args, "token") });
  const cluster = await getJson<ClusterResponse>(target, "/v1/cluster");
  if (args.flags.has("json")) {
    process.stdout.write(JSON.stringify(cluster, null, 2) + "\n");
    return 0;
  }
  const rows = cluster.nodes.map((n) => [
    n.id,
    n.role,
    n.address,
    n.state,
    n.leader ? "leader" : n.role === "scheduler" ? "standby" : n.slots ? `${n.slots} slots` : (n.http ?? ""),
  ]);
  printTable(["ID", "ROLE", "ADDRESS", "STATE", ""], rows);
  process.stdout.write(`\n${cluster.nodes.length} nodes, leader: ${cluster.leader ?? "(none: election in progress)"}\n`);
  return 0;
}
