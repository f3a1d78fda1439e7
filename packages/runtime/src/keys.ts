// The etcd key layout, in one place. Values are JSON unless noted.
export const KEYS = {
  /** /dml/nodes/<nodeId> -> NodeRecord, attached to the node's lease. */
  nodesPrefix: "/dml/nodes/",
  node: (id: string) => `/dml/nodes/${id}`,
  /** /dml/election/scheduler/<leaseIdHex> -> candidate node id, attached to the candidate's lease. */
  schedulerElectionPrefix: "/dml/election/scheduler/",
  /** Written by the leader scheduler every second, fenced by the leader key's create revision. */
  leaderState: "/dml/scheduler/leader-state",
} as const;
