// The trainer's cache of loaded models: each model is loaded once (concurrent requests for a model
// that is loading wait for the same load), kept while it is used, and the least recently used
// ones are dropped when the total estimated size passes the capacity.

export interface Loaded<T> {
  value: T;
  /** Estimated memory held by the value (the model document's size is a fair proxy). */
  bytes: number;
}

export interface CacheEntry<T> extends Loaded<T> {
  id: string;
  hits: number;
  /** Epoch milliseconds. */
  loadedAt: number;
  lastUsedAt: number;
}

export class ModelCache<T> {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, CacheEntry<T>>();
  private readonly loading = new Map<string, Promise<T>>();
  private total = 0;

  constructor(
    readonly capacityBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached value (counting a hit), else undefined: the synchronous fast path. */
  peek(id: string): T | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.hits++;
    entry.lastUsedAt = this.now();
    // Move to the most recent end.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value;
  }

  /** The value for `id`, loading it when absent; concurrent calls for one id share one load. */
  async get(id: string, load: (id: string) => Promise<Loaded<T>>): Promise<{ value: T; hit: boolean }> {
    const cached = this.peek(id);
    if (cached !== undefined) return { value: cached, hit: true };
    let pending = this.loading.get(id);
    if (!pending) {
      const current: Promise<T> = load(id)
        .then((loaded) => {
          // Evicted while loading (the model was deleted): serve the waiting callers, keep nothing.
          if (this.loading.get(id) === current) this.insert(id, loaded);
          return loaded.value;
        })
        .finally(() => {
          if (this.loading.get(id) === current) this.loading.delete(id);
        });
      this.loading.set(id, current);
      pending = current;
    }
    return { value: await pending, hit: false };
  }

  /** Drops a model (and forgets a load in flight, so its result is not cached). */
  evict(id: string): boolean {
    const loading = this.loading.delete(id);
    const entry = this.entries.get(id);
    if (!entry) return loading;
    this.entries.delete(id);
    this.total -= entry.bytes;
    return true;
  }

  get bytes(): number {
    return this.total;
  }

  /** Most recently used first. */
  list(): CacheEntry<T>[] {
    return [...this.entries.values()].reverse();
  }

  private insert(id: string, loaded: Loaded<T>): void {
    const t = this.now();
    this.entries.set(id, { id, value: loaded.value, bytes: loaded.bytes, hits: 0, loadedAt: t, lastUsedAt: t });
    this.total += loaded.bytes;
    // The newest entry always stays, even alone above capacity: a model bigger than the whole
    // cache must still be servable without reloading it for every call.
    for (const [oldId, old] of this.entries) {
      if (this.total <= this.capacityBytes || oldId === id) break;
      this.entries.delete(oldId);
      this.total -= old.bytes;
    }
  }
}
