import { randomBytes } from "node:crypto";

/** Opaque, unguessable and id-safe (^[A-Za-z0-9_-]{1,64}$), like the training ids. */
export function newPredictionId(): string {
  return `p-${randomBytes(8).toString("hex")}`;
}
