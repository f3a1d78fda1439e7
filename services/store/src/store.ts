import { mkdir, access, constants } from "node:fs/promises";
import { ConfigError, startNode, withUnimplemented, type RunningNode } from "@dml/runtime";
import { storeV1 } from "@dml/proto";
import type { StoreConfig } from "./config.js";

/** Fails at start, not at the first write, when the data directory cannot be used. */
async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new ConfigError([`DML_DATA_DIR (--data-dir): cannot use ${dir}: ${(err as Error).message}`]);
  }
}

/** Starts a store node. Object storage arrives with the datasets issue. */
export async function startStore(config: StoreConfig): Promise<RunningNode> {
  await ensureWritableDir(config.dataDir);
  return startNode({
    role: "store",
    config,
    services: [
      {
        definition: storeV1.StoreServiceDefinition,
        implementation: withUnimplemented(storeV1.StoreServiceDefinition),
      },
    ],
    ready: { dataDir: config.dataDir },
  });
}
