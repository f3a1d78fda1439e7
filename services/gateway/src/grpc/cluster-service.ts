import type { Etcd3 } from "etcd3";
import { clusterV1 } from "@dml/proto";
import type { ServiceImplementation } from "nice-grpc";
import { readClusterView, type ClusterNode } from "../domain/cluster-view.js";

const ROLE_TO_PROTO: Record<ClusterNode["role"], clusterV1.NodeRole> = {
  scheduler: clusterV1.NodeRole.NODE_ROLE_SCHEDULER,
  trainer: clusterV1.NodeRole.NODE_ROLE_TRAINER,
  store: clusterV1.NodeRole.NODE_ROLE_STORE,
  gateway: clusterV1.NodeRole.NODE_ROLE_GATEWAY,
  etcd: clusterV1.NodeRole.NODE_ROLE_ETCD,
};

const STATE_TO_PROTO: Record<ClusterNode["state"], clusterV1.NodeState> = {
  up: clusterV1.NodeState.NODE_STATE_UP,
  draining: clusterV1.NodeState.NODE_STATE_DRAINING,
  down: clusterV1.NodeState.NODE_STATE_DOWN,
};

export function clusterService(etcd: Etcd3): ServiceImplementation<typeof clusterV1.ClusterServiceDefinition> {
  return {
    async getCluster() {
      const view = await readClusterView(etcd);
      return {
        leader: view.leader ?? "",
        leadership: { leaderId: view.leader ?? "", fencingRevision: view.fencingRevision ?? 0 },
        nodes: view.nodes.map((n) => ({
          id: n.id,
          role: ROLE_TO_PROTO[n.role],
          address: n.address,
          http: n.http ?? "",
          state: STATE_TO_PROTO[n.state],
          leader: n.leader ?? false,
          slots: n.slots ?? 0,
          startedAt: n.startedAt ?? "",
          version: n.version ?? "",
          pid: n.pid ?? 0,
          stats: n.stats ?? {},
        })),
      };
    },
  };
}
