import { resolve } from "node:path";
import { commonOptions, loadConfig, type ConfigOf, type ConfigSource } from "@dml/runtime";

export function storeOptions() {
  return {
    ...commonOptions("store"),
    dataDir: {
      env: "DML_DATA_DIR",
      flag: "--data-dir",
      doc: "directory for this store's objects (default: .dml/data/<node id>)",
      default: (partial: Record<string, unknown>) => resolve(".dml", "data", String(partial["nodeId"])),
      parse: (raw: string) => resolve(raw),
    },
  };
}

export type StoreConfig = ConfigOf<ReturnType<typeof storeOptions>>;

export function loadStoreConfig(source: ConfigSource): StoreConfig {
  return loadConfig(storeOptions(), source);
}
