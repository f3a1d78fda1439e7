import { mkdir, access, constants } from "node:fs/promises";
import { ConfigError, createLogger, startNode, StoreClients, StoreServiceDefinition, type RunningNode } from "@dml/runtime";
import type { StoreConfig } from "./config.js";
import { lockDataDir } from "./data-dir-lock.js";
import { ObjectStore } from "./domain/object-store.js";
import { createStoreService } from "./grpc/store-service.js";

/** How often the membership record's stats (objects, bytes) are refreshed when they changed. */
const STATS_INTERVAL_MS = 5_000;

/** Fails at start, not at the first write, when the data directory cannot be used. */
async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new ConfigError([`DML_DATA_DIR (--data-dir): cannot use ${dir}: ${(err as Error).message}`]);
  }
}

/**
 * Starts a store node: locks the data dir, recovers it (temp files of interrupted writes removed,
 * corrupt files quarantined, the index rebuilt from the files), and only then serves StoreService,
 * so nothing is answered from a half-loaded index.
 */
export async function startStore(config: StoreConfig): Promise<RunningNode> {
  await ensureWritableDir(config.dataDir);
  const log = createLogger({ service: "store", node: config.nodeId, level: config.logLevel });
  const lock = await lockDataDir(config.dataDir);
  const peers = new StoreClients();
  try {
    const objects = await ObjectStore.open({ dataDir: config.dataDir, log: log.child({ component: "object-store" }) });
    const node = await startNode({
      role: "store",
      config,
      logger: log,
      services: [
        {
          definition: StoreServiceDefinition,
          implementation: createStoreService({ objects, peers, log: log.child({ component: "store-service" }) }),
        },
      ],
      record: { stats: objects.stats() },
      ready: { dataDir: config.dataDir, ...objects.stats() },
    });
    let published = JSON.stringify(objects.stats());
    const statsTimer = setInterval(() => {
      const stats = objects.stats();
      if (JSON.stringify(stats) === published) return;
      published = JSON.stringify(stats);
      node.membership.update({ stats }).catch((err: unknown) => log.debug({ err }, "stats update failed"));
    }, STATS_INTERVAL_MS);
    statsTimer.unref();
    let stopping: Promise<void> | undefined;
    // The peers' channels and the data dir lock go after the node's own stop, i.e. after running
    // calls have drained (onStop hooks would run before that).
    return {
      ...node,
      stop: () =>
        (stopping ??= (async () => {
          clearInterval(statsTimer);
          await node.stop();
          peers.close();
          await lock.release();
        })()),
    };
  } catch (err) {
    peers.close();
    await lock.release();
    throw err;
  }
}
