// One store process per data dir. A second one (the same node id started twice, or a restart
// while the old process is merely paused) would empty tmp/ under a live writer and race on every
// key, so start refuses while the pid in <dataDir>/LOCK is alive. A lock left by a killed process
// (its pid gone) is taken over.
import { readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, isProcessAlive } from "@dml/runtime";

export interface DataDirLock {
  release(): Promise<void>;
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, "LOCK");
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
    }
    const holder = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isProcessAlive(holder)) {
      throw new ConfigError([`DML_DATA_DIR (--data-dir): ${dataDir} is in use by another store process (pid ${holder})`]);
    }
    await unlink(path).catch(() => undefined);
  }
  return {
    async release() {
      await unlink(path).catch(() => undefined);
    },
  };
}
