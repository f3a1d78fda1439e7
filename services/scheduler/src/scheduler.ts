import { LeaderElection, KEYS, NodeDirectory, startNode, StoreClients, withUnimplemented, type RunningNode } from "@dml/runtime";
import { startDataMaintenance } from "./data-maintenance.js";
import { workV1 } from "@dml/proto";
import type { SchedulerConfig } from "./config.js";
import { startLeaderLoop } from "./leader-loop.js";

export interface RunningScheduler extends RunningNode {
  election: LeaderElection;
}

/** Starts a scheduler: the work service (filled in by the trainings issue) and the election. */
export async function startScheduler(config: SchedulerConfig): Promise<RunningScheduler> {
  const node = await startNode({
    role: "scheduler",
    config,
    services: [
      { definition: workV1.WorkServiceDefinition, implementation: withUnimplemented(workV1.WorkServiceDefinition) },
    ],
  });
  const election = new LeaderElection(node.etcd, {
    prefix: KEYS.schedulerElectionPrefix,
    nodeId: node.nodeId,
    ttlSeconds: config.leaseTtl,
    log: node.log.child({ component: "election" }),
  });
  const stopLoop = startLeaderLoop({
    etcd: node.etcd,
    election,
    nodeId: node.nodeId,
    intervalMs: config.leaderHeartbeatMs,
    log: node.log.child({ component: "leader-loop" }),
  });
  const directory = new NodeDirectory(node.etcd);
  await directory.start();
  const stores = new StoreClients();
  const stopMaintenance = startDataMaintenance({
    etcd: node.etcd,
    election,
    directory,
    stores,
    replication: config.replication,
    repairIntervalMs: config.repairIntervalMs,
    orphanIntervalMs: config.orphanIntervalMs,
    orphanGraceMs: config.orphanGraceMs,
    log: node.log.child({ component: "data-maintenance" }),
  });
  election.start();
  node.onStop(async () => {
    stopLoop();
    stopMaintenance();
    await election.stop();
    await directory.stop();
    stores.close();
  });
  return Object.assign(node, { election });
}
