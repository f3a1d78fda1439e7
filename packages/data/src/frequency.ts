// Value -> count tables for distinct counts and top values: an exact open-addressing table for
// numbers (no Map entry or boxed double per value: 16 bytes a slot), and Space-Saving
// (Metwally et al. 2005) for approximate top values once exact counting would cost too much memory.
import { fmix32, hashNumber } from "./hash.js";

/**
 * Exact counts of doubles. -0 counts as 0; NaN is never added (it is a missing value).
 * Open addressing with linear probing over an array of values (0 marks an empty slot; the value 0
 * is counted apart). A value's count past its first occurrence is in a parallel array written only
 * for repeats: a column of distinct values, the costly kind, touches half the memory (fewer cache
 * misses and page faults). It grows 4x at a time, or at once to the size a batch's share of new
 * values projects, because with high-cardinality columns rehashing, not counting, was the cost.
 * (Partitioning inserts by hash into 64 cache-sized tables, and inserting a batch in slot order,
 * were tried and measured no faster here.)
 */
export class NumberCounts {
  /**
   * `maxValues`: the most values this table will be asked to hold (its owner switches to an
   * estimate past them), so it never grows beyond what they need: growing 4x at a time took a
   * 10,000-value table to 65,536 slots, a megabyte per column zero-filled for nothing.
   */
  constructor(private readonly maxValues = Infinity) {}

  private keys = new Float64Array(256);
  /** Occurrences of keys[i] past the first. */
  private repeats = new Float64Array(256);
  private mask = 255;
  private used = 0; // slots in use
  private zeros = 0; // occurrences of 0

  get size(): number {
    return this.used + (this.zeros > 0 ? 1 : 0);
  }

  add(v: number, count = 1): void {
    if (v === 0) {
      this.zeros += count;
      return;
    }
    const keys = this.keys;
    const mask = this.mask;
    let i = hashNumber(v) & mask;
    for (;;) {
      const key = keys[i]!;
      if (key === 0) {
        keys[i] = v;
        if (count !== 1) this.repeats[i] = count - 1;
        if (++this.used * 2 > mask) this.grow();
        return;
      }
      if (key === v) {
        this.repeats[i] += count;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Adds `values[i]` for every i < n with `valid[i] === 1`, stopping as soon as the table holds
   * more than `limit` values: returns the index after the last value added (n when all were).
   * Same table as add(), but each value's bits are read in place through a 32-bit view of
   * `values` (hashNumber goes through a scratch array: a store and two loads per value), and the
   * arrays and mask stay in locals.
   */
  addAll(values: Float64Array, valid: Uint8Array, n: number, limit = Infinity): number {
    const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
    let keys = this.keys;
    let mask = this.mask;
    const before = this.used;
    const stopAt = limit - (this.zeros > 0 ? 1 : 0); // `used` past this: size() > limit
    for (let k = 0; k < n; k++) {
      if (valid[k] !== 1) continue;
      const v = values[k]!;
      if (v === 0) {
        this.zeros++;
        continue;
      }
      let i = fmix32(words[2 * k]! ^ Math.imul(words[2 * k + 1]!, 0x9e3779b1)) & mask;
      for (;;) {
        const key = keys[i]!;
        if (key === 0) {
          keys[i] = v;
          if (++this.used > stopAt) return k + 1;
          if (this.used * 2 > mask) {
            this.grow(Math.min(this.projected(before, k + 1, n), limit + 1));
            keys = this.keys;
            mask = this.mask;
          }
          break;
        }
        if (key === v) {
          this.repeats[i]++;
          break;
        }
        i = (i + 1) & mask;
      }
    }
    return n;
  }

  /**
   * The size this table will reach by the end of an addAll call if its share of new values so far
   * holds, when that share is over 90% after at least 8192 values (a column of distinct values):
   * such a table then grows once more to its final size, skipping the largest rehash. Else 0.
   */
  private projected(usedBefore: number, seen: number, n: number): number {
    const added = this.used - usedBefore;
    if (seen < 8192 || added < 0.9 * seen) return 0;
    return this.used + Math.ceil(((n - seen) * added) / seen);
  }

  forEach(fn: (value: number, count: number) => void): void {
    if (this.zeros > 0) fn(0, this.zeros);
    const { keys, repeats } = this;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) fn(keys[i]!, repeats[i]! + 1);
  }

  /**
   * The `k` most frequent values (in no particular order), for the frozen snapshot a part keeps
   * when it switches to estimates. Values seen more than once are chosen as topCounted chooses;
   * values seen once (all of them, in a continuous column) fill the remaining places in table
   * order rather than by value: the snapshot is an approximation by then anyway. `visit` sees
   * every value on the way (the same pass feeds the estimate).
   */
  top(k: number, visit?: (value: number) => void): Counted<number>[] {
    const repeated: Counted<number>[] = [];
    const singles: number[] = [];
    this.forEach((value, count) => {
      visit?.(value);
      if (count > 1) repeated.push({ value, count });
      else if (singles.length < k) singles.push(value);
    });
    if (repeated.length > k) return topCounted(repeated, k);
    for (let i = 0; i < singles.length && repeated.length < k; i++) repeated.push({ value: singles[i]!, count: 1 });
    return repeated; // at most k: every consumer ranks them anyway
  }

  /** Grows 4x, or more to hold `expected` values less than half full; never past what maxValues + 1 need. */
  private grow(expected = 0): void {
    const { keys: oldKeys, repeats: oldRepeats } = this;
    let slots = (this.mask + 1) * 4;
    while (slots <= 2 * expected) slots *= 2;
    if (this.maxValues !== Infinity) {
      let enough = this.mask + 1;
      while (enough <= 2 * (this.maxValues + 1)) enough *= 2;
      slots = Math.max(Math.min(slots, enough), (this.mask + 1) * 2);
    }
    const keys = new Float64Array(slots);
    const repeats = new Float64Array(slots);
    const mask = slots - 1;
    for (let k = 0; k < oldKeys.length; k++) {
      const v = oldKeys[k]!;
      if (v === 0) continue;
      let i = hashNumber(v) & mask;
      while (keys[i] !== 0) i = (i + 1) & mask; // values are distinct: no comparison needed
      keys[i] = v;
      if (oldRepeats[k] !== 0) repeats[i] = oldRepeats[k]!;
    }
    this.keys = keys;
    this.repeats = repeats;
    this.mask = mask;
  }
}

export interface Counted<K> {
  value: K;
  count: number;
}

/**
 * Most frequent first, ties by value (ascending), at most `k`. Small k: one insertion pass (most
 * entries are rejected by one comparison); large k (the 1000 counts a part keeps when it switches
 * to estimates): a sort, because inserting into a long list costs O(k) per entry.
 */
export function topCounted<K extends string | number | boolean>(entries: Iterable<Counted<K>>, k: number): Counted<K>[] {
  if (k > 64) {
    const all = Array.from(entries, (e) => ({ value: e.value, count: e.count }));
    all.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    return all.length > k ? all.slice(0, k) : all;
  }
  const top: Counted<K>[] = [];
  for (const e of entries) {
    if (top.length === k && !before(e, top[k - 1]!)) continue;
    let at = top.length === k ? k - 1 : top.length;
    while (at > 0 && before(e, top[at - 1]!)) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = { value: e.value, count: e.count };
  }
  return top;
}

function before<K extends string | number | boolean>(a: Counted<K>, b: Counted<K>): boolean {
  return a.count > b.count || (a.count === b.count && a.value < b.value);
}

/**
 * Space-Saving top-k: `capacity` counters kept in a min-heap by count. An unseen value replaces
 * the least counted one and inherits its count (an overestimate by at most that count), so any
 * value more frequent than total/capacity is guaranteed to be present.
 */
export class SpaceSaving<K extends string | number> {
  private readonly keys: K[] = [];
  private readonly counts: number[] = [];
  private readonly index = new Map<K, number>();

  constructor(private readonly capacity: number) {}

  add(key: K, count = 1): void {
    const at = this.index.get(key);
    if (at !== undefined) {
      this.counts[at]! += count;
      this.siftDown(at);
      return;
    }
    if (this.keys.length < this.capacity) {
      this.keys.push(key);
      this.counts.push(count);
      this.index.set(key, this.keys.length - 1);
      this.siftUp(this.keys.length - 1);
      return;
    }
    this.index.delete(this.keys[0]!);
    this.keys[0] = key;
    this.counts[0]! += count;
    this.index.set(key, 0);
    this.siftDown(0);
  }

  entries(): Counted<K>[] {
    return this.keys.map((value, i) => ({ value, count: this.counts[i]! }));
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.counts[parent]! <= this.counts[i]!) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const child = r < n && this.counts[r]! < this.counts[l]! ? r : l;
      if (this.counts[i]! <= this.counts[child]!) return;
      this.swap(i, child);
      i = child;
    }
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    this.index.set(this.keys[i]!, i);
    this.index.set(this.keys[j]!, j);
  }
}
