import { randomBytes } from "node:crypto";

/** Opaque, unguessable and id-safe (^[A-Za-z0-9_-]{1,64}$), like the dataset ids. */
export function newTrainingId(): string {
  return `t-${randomBytes(8).toString("hex")}`;
}

/** A model's id, fixed at creation: the registry entry it becomes keeps it. */
export function newModelId(): string {
  return `m-${randomBytes(8).toString("hex")}`;
}
