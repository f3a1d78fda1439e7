export { startStore } from "./store.js";
export { loadStoreConfig, storeOptions, type StoreConfig } from "./config.js";
