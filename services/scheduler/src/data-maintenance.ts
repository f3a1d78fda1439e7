// The leader's care of stored data: re-replicate batches and model documents whose stores died
// (at once when a store leaves, and on a timer to catch anything missed), and delete orphan
// objects now and then.
// Passes never overlap; a pass that finds leadership gone just stops.
import type { Etcd3 } from "etcd3";
import { StaleFenceError, type LeaderElection, type Logger, type NodeDirectory, type StoreClients } from "@dml/runtime";
import { cleanOrphans } from "./domain/orphan-cleanup.js";
import { repairReplication } from "./domain/replication-repair.js";
import { repairModelReplication } from "./domain/model-replication.js";

export interface DataMaintenanceOptions {
  etcd: Etcd3;
  election: LeaderElection;
  directory: NodeDirectory;
  stores: StoreClients;
  replication: number;
  repairIntervalMs: number;
  orphanIntervalMs: number;
  orphanGraceMs: number;
  log: Logger;
}

export function startDataMaintenance(opts: DataMaintenanceOptions): () => void {
  const { etcd, election, directory, stores, log } = opts;
  let running = false;
  let again = false;
  let lastOrphanPass = 0;

  const liveStores = () => directory.live("store").map((n) => ({ id: n.id, address: n.address }));

  const pass = async (): Promise<void> => {
    if (!election.isLeader()) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const report = await repairReplication({
          etcd,
          live: liveStores(),
          replication: opts.replication,
          copier: stores,
          writer: election,
          log,
        });
        if (report.copies > 0 || report.batchesShort > 0) log.info(report, "replication pass");
        const models = await repairModelReplication({ etcd, live: liveStores(), replication: opts.replication, copier: stores, writer: election, log });
        if (models.copies > 0 || models.modelsShort > 0) log.info(models, "model replication pass");
        if (Date.now() - lastOrphanPass >= opts.orphanIntervalMs) {
          lastOrphanPass = Date.now();
          const { deleted } = await cleanOrphans({ etcd, live: liveStores(), janitor: stores, graceMs: opts.orphanGraceMs, log });
          if (deleted > 0) log.info({ deleted }, "orphan cleanup pass");
        }
      } while (again && election.isLeader());
    } catch (err) {
      if (!(err instanceof StaleFenceError)) log.warn({ err: (err as Error).message }, "data maintenance pass failed");
    } finally {
      running = false;
    }
  };

  const onLeft = (node: { role: string }) => {
    if (node.role === "store") void pass();
  };
  const onElected = () => void pass();
  directory.on("left", onLeft);
  election.on("elected", onElected);
  const timer = setInterval(() => void pass(), opts.repairIntervalMs);
  return () => {
    clearInterval(timer);
    directory.off("left", onLeft);
    election.off("elected", onElected);
  };
}
