// Per-column statistics over non-missing values, built batch by batch and mergeable.
//
// A builder keeps one part per kind of value it was fed, because a column's final type is only
// known at the end (a batch of integers may be followed by a batch of words):
// - numbers (integer and number batches): count, mean and M2 (Welford; Chan et al. to merge two
//   builders, stable where sum-of-squares is not), min, max, and value counts;
// - booleans: the counts of true and false;
// - text: value counts.
// summarize(type) reads the parts the final type needs; for a string/category column that was
// numeric or boolean in early batches, those values are counted under their text as conformBatch
// writes it ("1.5", "true"), so stats describe exactly the data that is stored.
//
// Distinct counts are exact up to a limit per part: 100,000 values for text (whether a column is
// a category depends on it), 10,000 for numbers; past it a part switches to HyperLogLog
// (distinctApproximate: true, about 1% off) and keeps approximate top values (Space-Saving for
// text; for numbers, the counts at the switch: numbers only need top values if the column later
// turns out to be text). Numbers get the lower limit because exact counting of a continuous
// column (every value distinct) was the largest single cost of ingesting numeric data: a hash
// table of 100,000 doubles per column does not fit any cache, while past 10,000 the estimate costs
// a hash and a byte compare per value. pandas' describe() and H2O's summary give no distinct count
// for numbers at all. Infinite values are stored but left out of
// min/max/mean/std, which JSON cannot carry.
import { Counted, NumberCounts, SpaceSaving, topCounted } from "./frequency.js";
import { booleanText, numberText } from "./format.js";
import { hashNumber, hashString } from "./hash.js";
import { HyperLogLog } from "./hyperloglog.js";
import type { ColumnType } from "./schema.js";

export const DISTINCT_EXACT_LIMIT = 100_000;
export const NUMBER_DISTINCT_EXACT_LIMIT = 10_000;
export const TOP_VALUES = 10;
/** Counters kept for approximate top values (Space-Saving's capacity). */
const TOP_CAPACITY = 1000;
/**
 * Counts a number part keeps when it switches to estimates, for approximate top values should
 * the column turn out to be text. Few: picking and merging 1000 per column cost more than the
 * rest of the switch, and 10 are shown.
 */
const NUMBER_TOP_SNAPSHOT = 64;

export interface TopValue {
  value: string | boolean;
  count: number;
}

/** The REST `stats` object. */
export interface ColumnStats {
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  distinct: number;
  distinctApproximate?: true;
  topValues?: TopValue[];
  topValuesApproximate?: true;
}

/** The REST column: `{"name","type","missing","stats"}`. */
export interface ColumnSummary {
  name: string;
  type: ColumnType;
  missing: number;
  stats: ColumnStats;
}

export interface StatsOptions {
  /** Distinct text values counted exactly before switching to estimates (default 100,000). */
  distinctLimit?: number;
  /** Distinct numbers counted exactly before switching to estimates (default 10,000). */
  numberDistinctLimit?: number;
}

class NumberPart {
  n = 0; // finite values (moments, min, max)
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  counts: NumberCounts | undefined;
  hll: HyperLogLog | undefined;
  frozenTop: Counted<number>[] = [];

  constructor(limit: number) {
    this.counts = new NumberCounts(limit);
  }
}

class TextPart {
  counts: Map<string, number> | undefined = new Map();
  hll: HyperLogLog | undefined;
  top: SpaceSaving<string> | undefined;
}

export class ColumnStatsBuilder {
  missing = 0;
  private readonly limit: number;
  private readonly numberLimit: number;
  private readonly num: NumberPart;
  private trues = 0;
  private falses = 0;
  private readonly text = new TextPart();

  constructor(options: StatsOptions = {}) {
    this.limit = options.distinctLimit ?? DISTINCT_EXACT_LIMIT;
    this.numberLimit = options.numberDistinctLimit ?? NUMBER_DISTINCT_EXACT_LIMIT;
    this.num = new NumberPart(this.numberLimit);
  }

  /**
   * A builder again after a structured clone (a worker thread's message): the clone has every
   * field, typed arrays and maps included, but plain prototypes. Returns `clone`, revived.
   */
  static revive(clone: ColumnStatsBuilder): ColumnStatsBuilder {
    const b = Object.setPrototypeOf(clone, ColumnStatsBuilder.prototype) as ColumnStatsBuilder;
    if (b.num.counts !== undefined) Object.setPrototypeOf(b.num.counts, NumberCounts.prototype);
    if (b.num.hll !== undefined) Object.setPrototypeOf(b.num.hll, HyperLogLog.prototype);
    if (b.text.hll !== undefined) Object.setPrototypeOf(b.text.hll, HyperLogLog.prototype);
    if (b.text.top !== undefined) Object.setPrototypeOf(b.text.top, SpaceSaving.prototype);
    return b;
  }

  addMissing(count = 1): void {
    this.missing += count;
  }

  addNumber(v: number): void {
    const p = this.num;
    if (v - v === 0) {
      // finite
      const n = ++p.n;
      const d = v - p.mean;
      p.mean += d / n;
      p.m2 += d * (v - p.mean);
      if (v < p.min) p.min = v;
      if (v > p.max) p.max = v;
    }
    if (p.counts !== undefined) {
      p.counts.add(v);
      if (p.counts.size > this.numberLimit) this.numbersToEstimate();
    } else {
      p.hll!.add(hashNumber(v === 0 ? 0 : v));
    }
  }

  /**
   * Adds `values[i]` for every i < n with `valid[i] === 1`: what addNumber does, batch-wise (two
   * passes for the batch's mean and M2, merged by Chan et al.; distinct values counted table by
   * table; once past the exact limit, the rest of the batch goes to the estimate).
   */
  addNumbers(values: Float64Array, valid: Uint8Array, n: number): void {
    const p = this.num;
    let count = 0;
    let sum = 0;
    let min = p.min;
    let max = p.max;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (valid[i] !== 1 || v - v !== 0) continue; // missing or infinite
      count++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (count > 0) {
      const mean = sum / count;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        if (valid[i] !== 1 || v - v !== 0) continue;
        m2 += (v - mean) * (v - mean);
      }
      const total = p.n + count;
      const d = mean - p.mean;
      p.mean += (d * count) / total;
      p.m2 += m2 + (d * d * p.n * count) / total;
      p.n = total;
      p.min = min;
      p.max = max;
    }
    let from = 0;
    if (p.counts !== undefined) {
      from = p.counts.addAll(values, valid, n, this.numberLimit);
      if (p.counts.size > this.numberLimit) this.numbersToEstimate();
    }
    if (p.hll !== undefined) p.hll.addNumbers(values, valid, from, n);
  }

  addBoolean(b: boolean): void {
    if (b) this.trues++;
    else this.falses++;
  }

  addText(s: string, count = 1): void {
    const t = this.text;
    if (t.counts !== undefined) {
      const c = t.counts.get(s);
      if (c !== undefined) {
        t.counts.set(s, c + count);
        return;
      }
      t.counts.set(detach(s), count);
      if (t.counts.size > this.limit) this.textToEstimate();
      return;
    }
    t.hll!.add(hashString(s));
    t.top!.add(detach(s), count);
  }

  /** Adds everything `other` has seen, as if this builder had been fed it too. */
  merge(other: ColumnStatsBuilder): void {
    this.missing += other.missing;
    this.trues += other.trues;
    this.falses += other.falses;

    const a = this.num;
    const b = other.num;
    if (b.n > 0) {
      const n = a.n + b.n;
      const d = b.mean - a.mean;
      a.mean += (d * b.n) / n;
      a.m2 += b.m2 + (d * d * a.n * b.n) / n;
      a.n = n;
      a.min = Math.min(a.min, b.min);
      a.max = Math.max(a.max, b.max);
    }
    if (b.counts !== undefined) {
      b.counts.forEach((v, c) => {
        if (a.counts !== undefined) {
          a.counts.add(v, c);
          if (a.counts.size > this.numberLimit) this.numbersToEstimate();
        } else a.hll!.add(hashNumber(v));
      });
    } else {
      if (a.counts !== undefined) this.numbersToEstimate();
      a.hll!.merge(b.hll!);
      a.frozenTop = mergeCounted(a.frozenTop, b.frozenTop, NUMBER_TOP_SNAPSHOT);
    }

    const ta = this.text;
    const tb = other.text;
    if (tb.counts !== undefined) {
      for (const [s, c] of tb.counts) this.addText(s, c);
    } else {
      if (ta.counts !== undefined) this.textToEstimate();
      ta.hll!.merge(tb.hll!);
      for (const e of tb.top!.entries()) ta.top!.add(e.value, e.count);
    }
  }

  /** The REST stats for the column's final type. */
  summarize(type: ColumnType): ColumnStats {
    switch (type) {
      case "integer":
      case "number":
        return this.numberStats();
      case "boolean":
        return this.booleanStats();
      case "category":
      case "string":
        return this.textStats();
    }
  }

  private numberStats(): ColumnStats {
    const p = this.num;
    const stats = {} as ColumnStats; // keys in the documented order: min, max, mean, std, distinct
    if (p.n > 0) {
      stats.min = p.min;
      stats.max = p.max;
      stats.mean = p.mean;
      if (p.n > 1) stats.std = Math.sqrt(p.m2 / (p.n - 1));
    }
    if (p.counts !== undefined) stats.distinct = p.counts.size;
    else {
      stats.distinct = p.hll!.estimate();
      stats.distinctApproximate = true;
    }
    return stats;
  }

  private booleanStats(): ColumnStats {
    const t = this.trues;
    const f = this.falses;
    const n = t + f;
    const stats = {} as ColumnStats;
    if (n > 0) {
      stats.min = f > 0 ? 0 : 1;
      stats.max = t > 0 ? 1 : 0;
      stats.mean = t / n;
      // Sum of squared deviations of n values of which t are 1 is t*f/n.
      if (n > 1) stats.std = Math.sqrt((t * f) / (n * (n - 1)));
    }
    stats.distinct = (t > 0 ? 1 : 0) + (f > 0 ? 1 : 0);
    const top: TopValue[] = [];
    if (t > 0) top.push({ value: true, count: t });
    if (f > 0) top.push({ value: false, count: f });
    top.sort((a, b) => b.count - a.count || Number(a.value) - Number(b.value));
    stats.topValues = top;
    return stats;
  }

  private textStats(): ColumnStats {
    const p = this.num;
    const t = this.text;
    const bools: Counted<string>[] = [];
    if (this.trues > 0) bools.push({ value: booleanText(true), count: this.trues });
    if (this.falses > 0) bools.push({ value: booleanText(false), count: this.falses });

    if (p.counts !== undefined && t.counts !== undefined) {
      // Exact: one table over every value as text.
      const all = new Map(t.counts);
      const add = (s: string, c: number) => all.set(s, (all.get(s) ?? 0) + c);
      p.counts.forEach((v, c) => add(numberText(v), c));
      for (const b of bools) add(b.value, b.count);
      const top = topCounted(mapEntries(all), TOP_VALUES);
      return { distinct: all.size, topValues: top };
    }
    // Estimates: a union of sketches. A value seen both as a number (before the column became
    // text) and as text is hashed differently in each part and may be counted twice.
    const hll = new HyperLogLog();
    let candidates: Counted<string>[] = [...bools];
    if (t.counts !== undefined) {
      for (const [s, c] of t.counts) hll.add(hashString(s));
      candidates = mergeCounted(candidates, [...mapEntries(t.counts)], Infinity);
    } else {
      hll.merge(t.hll!);
      candidates = mergeCounted(candidates, t.top!.entries(), Infinity);
    }
    if (p.counts !== undefined) {
      const nums: Counted<string>[] = [];
      p.counts.forEach((v, c) => {
        const s = numberText(v);
        hll.add(hashString(s));
        nums.push({ value: s, count: c });
      });
      candidates = mergeCounted(candidates, nums, Infinity);
    } else {
      hll.merge(p.hll!);
      candidates = mergeCounted(
        candidates,
        p.frozenTop.map((e) => ({ value: numberText(e.value), count: e.count })),
        Infinity,
      );
    }
    for (const b of bools) hll.add(hashString(b.value));
    return {
      distinct: hll.estimate(),
      distinctApproximate: true,
      topValues: topCounted(candidates, TOP_VALUES),
      topValuesApproximate: true,
    };
  }

  private numbersToEstimate(): void {
    const p = this.num;
    const hll = new HyperLogLog();
    p.frozenTop = p.counts!.top(NUMBER_TOP_SNAPSHOT, (v) => hll.add(hashNumber(v)));
    p.hll = hll;
    p.counts = undefined;
  }

  private textToEstimate(): void {
    const t = this.text;
    const hll = new HyperLogLog();
    const top = new SpaceSaving<string>(TOP_CAPACITY);
    for (const [s, c] of t.counts!) hll.add(hashString(s));
    for (const e of topCounted(mapEntries(t.counts!), TOP_CAPACITY)) top.add(e.value, e.count);
    t.hll = hll;
    t.top = top;
    t.counts = undefined;
  }
}

function* mapEntries<K>(m: Map<K, number>): Iterable<Counted<K>> {
  for (const [value, count] of m) yield { value, count };
}

/** Sums counts of equal values and keeps the `k` most frequent. */
function mergeCounted<K extends string | number>(a: Iterable<Counted<K>>, b: Iterable<Counted<K>>, k: number): Counted<K>[] {
  const m = new Map<K, number>();
  for (const e of a) m.set(e.value, (m.get(e.value) ?? 0) + e.count);
  for (const e of b) m.set(e.value, (m.get(e.value) ?? 0) + e.count);
  return k === Infinity ? [...mapEntries(m)] : topCounted(mapEntries(m), k);
}

/**
 * A copy of `s` that does not keep alive the string it was sliced from. V8 represents a slice of
 * 13+ characters as a view into its parent, here a whole decoded chunk of the upload; a value kept
 * in a table for the whole ingest must not pin its chunk. Concatenating then slicing flattens into
 * a fresh string of the value's own size.
 */
function detach(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}
