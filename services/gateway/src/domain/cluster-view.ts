// The cluster as users see it: every registered DML node (the gateway itself included) from etcd
// membership, the etcd members themselves, and the scheduler that holds the leader key marked.
import type { Etcd3 } from "etcd3";
import { DmlError, KEYS, listNodes, readLeadership, type NodeRecord, type Role } from "@dml/runtime";

export type ClusterRole = Role | "etcd";

export interface ClusterNode {
  id: string;
  role: ClusterRole;
  address: string;
  http?: string;
  state: NodeRecord["state"] | "down";
  leader?: boolean;
  slots?: number;
  stats?: Record<string, number>;
  startedAt?: string;
  version?: string;
  pid?: number;
}

export interface ClusterView {
  leader: string | null;
  fencingRevision: number | null;
  nodes: ClusterNode[];
}

const ROLE_ORDER: Record<ClusterRole, number> = { gateway: 0, scheduler: 1, trainer: 2, store: 3, etcd: 4 };

function fromRecord(r: NodeRecord, leaderId: string | null): ClusterNode {
  return {
    id: r.id,
    role: r.role,
    address: r.address,
    ...(r.http !== undefined && { http: r.http }),
    state: r.state,
    ...(r.role === "scheduler" && { leader: r.id === leaderId }),
    ...(r.slots !== undefined && { slots: r.slots }),
    ...(r.stats !== undefined && { stats: r.stats }),
    startedAt: r.startedAt,
    version: r.version,
    pid: r.pid,
  };
}

/** etcd members from etcd's member list; each one's own /health and /version say if it is up. */
async function readEtcdMembers(etcd: Etcd3): Promise<ClusterNode[]> {
  const { members } = await etcd.cluster.memberList({});
  return Promise.all(
    (members ?? []).map(async (m): Promise<ClusterNode> => {
      const url = m.clientURLs?.[0];
      const node: ClusterNode = { id: `etcd-${m.name || m.ID}`, role: "etcd", address: url ? new URL(url).host : "", state: "down" };
      if (!url) return node;
      const [health, version] = await Promise.all([
        fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.json() as Promise<{ health?: string }>).catch(() => undefined),
        fetch(`${url}/version`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.json() as Promise<{ etcdserver?: string }>).catch(() => undefined),
      ]);
      if (health?.health === "true") node.state = "up";
      if (version?.etcdserver) node.version = version.etcdserver;
      return node;
    }),
  );
}

export async function readClusterView(etcd: Etcd3): Promise<ClusterView> {
  const [records, leadership, etcdMembers] = await Promise.all([
    listNodes(etcd),
    readLeadership(etcd, KEYS.schedulerElectionPrefix),
    readEtcdMembers(etcd),
  ]).catch((err: Error) => {
    throw new DmlError("UNAVAILABLE", `cluster metadata unavailable: etcd did not answer (${err.message})`);
  });
  const leaderId = leadership?.leaderId ?? null;
  const nodes = [...records.map((r) => fromRecord(r, leaderId)), ...etcdMembers].sort(
    (a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.id.localeCompare(b.id),
  );
  return { leader: leaderId, fencingRevision: leadership?.fencingRevision ?? null, nodes };
}
