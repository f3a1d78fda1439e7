// Rendezvous (highest-random-weight) hashing: every object key ranks the live stores by a hash
// of (store id, key) and goes to the top R. Any node computes the same placement from the same
// membership, and when a store leaves only the objects it held move.
import { createHash } from "node:crypto";

export interface Placeable {
  id: string;
}

function score(storeId: string, key: string): bigint {
  const digest = createHash("sha256").update(storeId).update("\0").update(key).digest();
  return digest.readBigUInt64BE(0);
}

/** All candidates, best first, for `key`. Ties (practically impossible) break by id. */
export function rankStores<T extends Placeable>(key: string, stores: readonly T[]): T[] {
  return stores
    .map((s) => ({ s, w: score(s.id, key) }))
    .sort((a, b) => (a.w === b.w ? a.s.id.localeCompare(b.s.id) : a.w > b.w ? -1 : 1))
    .map(({ s }) => s);
}

/** The top `replicas` stores for `key` (fewer when fewer stores are live). */
export function placeReplicas<T extends Placeable>(key: string, stores: readonly T[], replicas: number): T[] {
  return rankStores(key, stores).slice(0, replicas);
}
