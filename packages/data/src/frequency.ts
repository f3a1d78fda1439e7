// Value -> count tables for distinct counts and top values: an exact open-addressing table for
// numbers (no Map entry or boxed double per value: 16 bytes a slot), and Space-Saving
// (Metwally et al. 2005) for approximate top values once exact counting would cost too much memory.
import { fmix32, hashNumber } from "./hash.js";

/**
 * Exact counts of doubles. -0 counts as 0; NaN is never added (it is a missing value).
 * Open addressing with linear probing over one array of (value, count) pairs, so a probe touches
 * one cache line; it grows 4x at a time because with high-cardinality columns rehashing, not
 * counting, was the cost. (Partitioning inserts by hash into 64 cache-sized tables was tried and
 * measured slower here.)
 */
export class NumberCounts {
  private table = new Float64Array(2 * 256); // [value, count] pairs; count 0 marks an empty slot
  private mask = 255;
  private used = 0;

  get size(): number {
    return this.used;
  }

  add(v: number, count = 1): void {
    if (v === 0) v = 0;
    const table = this.table;
    const mask = this.mask;
    let i = hashNumber(v) & mask;
    for (;;) {
      const c = table[2 * i + 1]!;
      if (c === 0) {
        table[2 * i] = v;
        table[2 * i + 1] = count;
        if (++this.used * 2 > mask) this.grow();
        return;
      }
      if (table[2 * i] === v) {
        table[2 * i + 1] = c + count;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Adds `values[i]` for every i < n with `valid[i] === 1`. Same table as add(), but each value's
   * bits are read in place through a 32-bit view of `values` (hashNumber goes through a scratch
   * array: a store and two loads per value), and table and mask stay in locals.
   */
  addAll(values: Float64Array, valid: Uint8Array, n: number): void {
    const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
    let table = this.table;
    let mask = this.mask;
    for (let k = 0; k < n; k++) {
      if (valid[k] !== 1) continue;
      let v = values[k]!;
      let i: number;
      if (v === 0) {
        v = 0; // -0 counts as 0; fmix32(0) is 0
        i = 0;
      } else {
        i = fmix32(words[2 * k]! ^ Math.imul(words[2 * k + 1]!, 0x9e3779b1)) & mask;
      }
      for (;;) {
        const c = table[2 * i + 1]!;
        if (c === 0) {
          table[2 * i] = v;
          table[2 * i + 1] = 1;
          if (++this.used * 2 > mask) {
            this.grow();
            table = this.table;
            mask = this.mask;
          }
          break;
        }
        if (table[2 * i] === v) {
          table[2 * i + 1] = c + 1;
          break;
        }
        i = (i + 1) & mask;
      }
    }
  }

  forEach(fn: (value: number, count: number) => void): void {
    const table = this.table;
    for (let i = 1; i < table.length; i += 2) if (table[i] !== 0) fn(table[i - 1]!, table[i]!);
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 4;
    const table = new Float64Array(2 * slots);
    const mask = slots - 1;
    for (let k = 1; k < old.length; k += 2) {
      if (old[k] === 0) continue;
      const v = old[k - 1]!;
      let i = hashNumber(v) & mask;
      while (table[2 * i + 1] !== 0) i = (i + 1) & mask; // values are distinct: no comparison needed
      table[2 * i] = v;
      table[2 * i + 1] = old[k]!;
    }
    this.table = table;
    this.mask = mask;
  }
}

export interface Counted<K> {
  value: K;
  count: number;
}

/** Most frequent first, ties by value (ascending), at most `k`. */
export function topCounted<K extends string | number | boolean>(entries: Iterable<Counted<K>>, k: number): Counted<K>[] {
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
