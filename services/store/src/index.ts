export { startStore } from "./store.js";
export { loadStoreConfig, storeOptions, type StoreConfig } from "./config.js";
export { ObjectStore, type PutInput, type PutResult, type ReadPart, type HeadResult } from "./domain/object-store.js";
export { objectFileName, fanOutDir, type ObjectMeta } from "./domain/object-file.js";
export { objectKeyProblem, assertObjectKey, MAX_KEY_LENGTH } from "./domain/object-key.js";
