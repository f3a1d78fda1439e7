import { randomBytes } from "node:crypto";
import { DmlError, ID_PATTERN } from "@dml/runtime";

/** Opaque, unguessable, and safe in etcd keys and file paths. */
export function newDatasetId(): string {
  return `ds_${randomBytes(8).toString("hex")}`;
}

/** Rejects ids that could reach a path or an etcd key before anything looks them up. */
export function checkId(id: string, field = "id"): string {
  if (!ID_PATTERN.test(id)) {
    throw new DmlError("INVALID_ARGUMENT", `${field} must match ^[A-Za-z0-9_-]{1,64}$`, { field, value: id.slice(0, 100) });
  }
  return id;
}
