import { DmlError, LeaderElection, KEYS, NodeDirectory, startNode, StoreClients, type RunningNode } from "@dml/runtime";
import { startDataMaintenance } from "./data-maintenance.js";
import { workV1 } from "@dml/proto";
import type { SchedulerConfig } from "./config.js";
import { startLeaderLoop } from "./leader-loop.js";
import { WorkCoordinator } from "./work/coordinator.js";
import { workService } from "./work/work-service.js";

export interface RunningScheduler extends RunningNode {
  election: LeaderElection;
}

/** Starts a scheduler: the election, and while leading the work coordinator and data maintenance. */
export async function startScheduler(config: SchedulerConfig): Promise<RunningScheduler> {
  // The coordinator needs the node's etcd client and the election, which exist only once the node
  // runs; its gRPC handlers go through this holder and answer UNAVAILABLE until then.
  let coordinator: WorkCoordinator | undefined;
  const holder = {
    get(): WorkCoordinator {
      if (!coordinator) throw new DmlError("NO_LEADER", "scheduler starting");
      return coordinator;
    },
  };
  const node = await startNode({
    role: "scheduler",
    config,
    services: [{ definition: workV1.WorkServiceDefinition, implementation: workService(holder) }],
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
  coordinator = new WorkCoordinator({
    etcd: node.etcd,
    election,
    directory,
    heartbeatMs: config.workHeartbeatMs,
    log: node.log.child({ component: "work" }),
  });
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
    await coordinator?.stop();
    await election.stop();
    await directory.stop();
    stores.close();
  });
  return Object.assign(node, { election });
}
