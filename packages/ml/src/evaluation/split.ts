// Seeded splits: train/test (stratified for classification) and k-fold CV (stratified for
// classification). Same rows, labels and seed -> same split. Index arrays are sorted ascending.

import { Random } from "../core/random.js";

export interface Split {
  train: Int32Array;
  test: Int32Array;
}

function sorted(a: number[]): Int32Array {
  return Int32Array.from(a).sort();
}

function groupsOf(y: ArrayLike<number>): number[][] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    const g = groups.get(y[i]!);
    if (g) g.push(i);
    else groups.set(y[i]!, [i]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

/** Rows in the test split: ceil(testFraction * n) like scikit-learn, at least 1 and leaving at least 1 for training. */
export function testSize(n: number, testFraction: number): number {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  if (n < 2) throw new RangeError(`need at least 2 rows to split, got ${n}`);
  return Math.min(n - 1, Math.max(1, Math.ceil(testFraction * n)));
}

/**
 * Train/test split. With `stratify` (class index per row), each class is split in proportion
 * (largest remainders), and a class keeps at least one training row; otherwise a plain shuffle.
 */
export function trainTestSplit(n: number, testFraction = 0.2, seed = 42, stratify?: ArrayLike<number>): Split {
  const nTest = testSize(n, testFraction);
  const rng = new Random(seed);
  if (!stratify) {
    const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    return { train: sorted(perm.slice(nTest)), test: sorted(perm.slice(0, nTest)) };
  }
  if (stratify.length !== n) throw new RangeError(`stratify has ${stratify.length} labels, expected ${n}`);
  const groups = groupsOf(stratify);
  const exact = groups.map((g) => (nTest * g.length) / n);
  const quota = exact.map((e, c) => Math.min(Math.floor(e), groups[c]!.length - 1));
  let left = nTest - quota.reduce((a, b) => a + b, 0);
  // Hand out the remaining test rows by largest remainder, to classes that can still spare a row.
  const order = groups.map((_, c) => c).sort((a, b) => exact[b]! - Math.floor(exact[b]!) - (exact[a]! - Math.floor(exact[a]!)) || a - b);
  while (left > 0) {
    let given = false;
    for (const c of order) {
      if (left === 0) break;
      if (quota[c]! < groups[c]!.length - 1) {
        quota[c]! += 1;
        left -= 1;
        given = true;
      }
    }
    if (!given) break; // every class is down to one training row
  }
  const train: number[] = [];
  const test: number[] = [];
  groups.forEach((g, c) => {
    const perm = rng.shuffle(g.slice());
    test.push(...perm.slice(0, quota[c]));
    train.push(...perm.slice(quota[c]));
  });
  return { train: sorted(train), test: sorted(test) };
}

function checkFolds(n: number, k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer >= 2, got ${k}`);
  if (k > n) throw new RangeError(`cannot make ${k} folds from ${n} rows`);
}

/** Shuffled k-fold: fold sizes differ by at most one. */
export function kFold(n: number, k: number, seed = 42): Split[] {
  checkFolds(n, k);
  const perm = new Random(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const foldOf = new Int32Array(n);
  perm.forEach((row, p) => (foldOf[row] = p % k));
  return foldsFrom(foldOf, k);
}

/**
 * Stratified k-fold: each class's rows are shuffled and dealt round-robin over the folds, continuing
 * where the previous class stopped, so class proportions and fold sizes are balanced. A class with
 * fewer rows than folds is absent from some test folds (metrics undefined there are omitted).
 */
export function stratifiedKFold(y: ArrayLike<number>, k: number, seed = 42): Split[] {
  const n = y.length;
  checkFolds(n, k);
  const rng = new Random(seed);
  const foldOf = new Int32Array(n);
  let next = 0;
  for (const g of groupsOf(y)) {
    for (const row of rng.shuffle(g.slice())) {
      foldOf[row] = next;
      next = (next + 1) % k;
    }
  }
  return foldsFrom(foldOf, k);
}

function foldsFrom(foldOf: Int32Array, k: number): Split[] {
  const folds: Split[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < foldOf.length; i++) (foldOf[i] === f ? test : train).push(i);
    folds.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return folds;
}
