// The store's in-memory index of its durable objects: key -> entry, plus the keys in sorted order
// for paged listing. Rebuilt from the files' headers at start, so it is a cache of the disk, never
// the source of truth; every change to the files goes through the ObjectStore, which keeps it current.
import type { ObjectMeta } from "./object-file.js";

/** An indexed object. Entries are replaced, never mutated, so identity tells versions of a key apart. */
export interface IndexEntry {
  readonly meta: ObjectMeta;
  /** Absolute path of the object's file. */
  readonly path: string;
}

/** First index in sorted `keys` whose key is >= `key` (or > `key` when `strict`). */
function bound(keys: readonly string[], key: string, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k < key || (strict && k === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ObjectIndex {
  private readonly entries = new Map<string, IndexEntry>();
  // Keys are ASCII, so JavaScript's string order is byte order: what a caller paging expects.
  private readonly sorted: string[] = [];
  private totalBytes = 0;

  get(key: string): IndexEntry | undefined {
    return this.entries.get(key);
  }

  set(entry: IndexEntry): void {
    const key = entry.meta.key;
    const old = this.entries.get(key);
    if (old) this.totalBytes -= old.meta.size;
    else this.sorted.splice(bound(this.sorted, key, false), 0, key);
    this.entries.set(key, entry);
    this.totalBytes += entry.meta.size;
  }

  delete(key: string): IndexEntry | undefined {
    const old = this.entries.get(key);
    if (!old) return undefined;
    this.entries.delete(key);
    this.sorted.splice(bound(this.sorted, key, false), 1);
    this.totalBytes -= old.meta.size;
    return old;
  }

  /** Up to `limit` objects whose keys start with `prefix`, in key order, after the key `after` if given. */
  list(prefix: string, after: string | undefined, limit: number): { objects: ObjectMeta[]; more: boolean } {
    let i = after !== undefined && after >= prefix ? bound(this.sorted, after, true) : bound(this.sorted, prefix, false);
    const objects: ObjectMeta[] = [];
    for (; i < this.sorted.length; i++) {
      const key = this.sorted[i]!;
      if (!key.startsWith(prefix)) break;
      if (objects.length === limit) return { objects, more: true };
      objects.push(this.entries.get(key)!.meta);
    }
    return { objects, more: false };
  }

  stats(): { objects: number; bytes: number } {
    return { objects: this.entries.size, bytes: this.totalBytes };
  }
}
