import { NodeDirectory, startNode, StoreClients, type RunningNode } from "@dml/runtime";
import { trainerV1 } from "@dml/proto";
import type { TrainerConfig } from "./config.js";
import { LeaderLink } from "./leader-link.js";
import { ModelServing } from "./serving/model-serving.js";
import { TaskRunner } from "./task-runner.js";
import { WorkLoop } from "./work-loop.js";

export interface RunningTrainer extends RunningNode {
  runner: TaskRunner;
}

/**
 * Starts a trainer node: it keeps a work stream to the scheduler leader and runs the training
 * tasks it is assigned (DML_TRAINER_SLOTS at once, each fit in a worker thread), and serves
 * online predictions from its model cache (serving/).
 */
export async function startTrainer(config: TrainerConfig): Promise<RunningTrainer> {
  // The task runner needs the running node, which needs the serving: a status call before the runner exists sees no tasks.
  let runnerRef: TaskRunner | undefined;
  const serving = new ModelServing({ nodeId: config.nodeId, slots: config.slots, cacheBytes: config.modelCacheBytes, runningTasks: () => runnerRef?.status() ?? [] });
  const node = await startNode({
    role: "trainer",
    config,
    services: [
      {
        definition: trainerV1.TrainerServiceDefinition,
        implementation: serving.service(),
      },
    ],
    record: { slots: config.slots },
    ready: { slots: config.slots },
  });
  const directory = new NodeDirectory(node.etcd);
  await directory.start();
  const stores = new StoreClients();
  serving.start({ etcd: node.etcd, directory, stores, log: node.log.child({ component: "serving" }) });
  await serving.followDeletes();
  const link = new LeaderLink(node.etcd, directory);
  let statsWrite: Promise<unknown> = node.membership.update({ stats: { runningTasks: 0 } }).catch(() => undefined);
  const loop = new WorkLoop({
    nodeId: node.nodeId,
    address: node.address,
    slots: config.slots,
    link,
    runner: () => runner,
    log: node.log.child({ component: "work" }),
  });
  const runner = new TaskRunner({
    nodeId: node.nodeId,
    etcd: node.etcd,
    directory,
    stores,
    link,
    replication: config.replication,
    progressIntervalMs: config.progressIntervalMs,
    log: node.log.child({ component: "tasks" }),
    sendProgress: (p) => loop.sendProgress(p),
    // Shown in /v1/cluster (and used by tests to see that nothing is left running); updates go
    // out one at a time so the last one wins.
    onBusyChange: (running) => {
      statsWrite = statsWrite.then(() => node.membership.update({ stats: { runningTasks: running } })).catch(() => undefined);
    },
  });
  runnerRef = runner;
  loop.start();
  node.onStop(async () => {
    await serving.stop();
    await runner.stopAll();
    await loop.stop();
    link.close();
    await directory.stop();
    stores.close();
  });
  return Object.assign(node, { runner });
}
