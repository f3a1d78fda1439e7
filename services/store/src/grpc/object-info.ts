import type { storeV1 } from "@dml/proto";
import type { ObjectMeta } from "../domain/object-file.js";

export function toObjectInfo(meta: ObjectMeta): storeV1.ObjectInfo {
  return { key: meta.key, kind: meta.kind, size: meta.size, checksum: meta.checksum, createdAt: meta.createdAt };
}
