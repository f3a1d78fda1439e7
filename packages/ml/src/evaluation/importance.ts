// Permutation importance (like sklearn.inspection.permutation_importance): the drop in a score
// when one input column's values are shuffled across rows, averaged over `nRepeats` seeded
// shuffles. Encoded columns that come from the same input column (one-hot) are shuffled together,
// with the same permutation, which is exactly shuffling the input column.

import { checkpoint, type FitContext } from "../core/estimator.js";
import { matrix, selectRows, type Matrix } from "../core/matrix.js";
import { Random } from "../core/random.js";

export interface PermutationImportanceOptions {
  /** Default 5 (scikit-learn's default). */
  nRepeats?: number;
  seed?: number;
  /**
   * Score on a seeded sample of at most this many rows (default: all). Keeps slow predictors
   * (KNN, SVM) affordable: the cost is groups x nRepeats predictions.
   */
  maxRows?: number;
  /** Progress (fraction over groups) and cancellation, checked between groups. */
  ctx?: Pick<FitContext, "onProgress" | "signal">;
}

export interface PermutationImportance {
  /** Per group: mean drop in score (baseline - shuffled). */
  mean: Float64Array;
  /** Per group: population std of the drops (like scikit-learn's importances_std). */
  std: Float64Array;
  baseline: number;
}

/**
 * @param score higher is better (negate losses); with `maxRows`, it gets the sampled rows' index
 *   (into X) as its second argument, to pick the matching targets.
 * @param groups encoded column -> group (input column) index, 0..nGroups-1.
 */
export async function permutationImportance(
  X0: Matrix,
  score: (X: Matrix, rows: Int32Array) => number,
  groups: ArrayLike<number>,
  nGroups: number,
  options: PermutationImportanceOptions = {},
): Promise<PermutationImportance> {
  const nRepeats = options.nRepeats ?? 5;
  if (groups.length !== X0.cols) throw new RangeError(`groups has ${groups.length} entries, expected ${X0.cols}`);
  const rng = new Random(options.seed ?? 42);
  let rows = Int32Array.from({ length: X0.rows }, (_, i) => i);
  if (options.maxRows !== undefined && X0.rows > options.maxRows) rows = rng.shuffle(rows).subarray(0, options.maxRows).sort();
  const X = rows.length === X0.rows ? X0 : selectRows(X0, rows);
  const baseline = score(X, rows);
  const work = matrix(X.rows, X.cols, X.data.slice());
  const n = X.rows;
  const mean = new Float64Array(nGroups);
  const std = new Float64Array(nGroups);
  const perm = new Int32Array(n);
  for (let g = 0; g < nGroups; g++) {
    const cols: number[] = [];
    for (let j = 0; j < X.cols; j++) if (groups[j] === g) cols.push(j);
    if (cols.length === 0) continue;
    const drops: number[] = [];
    for (let r = 0; r < nRepeats; r++) {
      for (let i = 0; i < n; i++) perm[i] = i;
      rng.shuffle(perm);
      for (const j of cols) {
        const off = j * n;
        for (let i = 0; i < n; i++) work.data[off + i] = X.data[off + perm[i]!]!;
      }
      drops.push(baseline - score(work, rows));
    }
    for (const j of cols) work.data.set(X.data.subarray(j * n, (j + 1) * n), j * n);
    const m = drops.reduce((a, b) => a + b, 0) / drops.length;
    mean[g] = m;
    std[g] = Math.sqrt(drops.reduce((a, b) => a + (b - m) * (b - m), 0) / drops.length);
    if (options.ctx) await checkpoint(options.ctx as FitContext, { fraction: (g + 1) / nGroups, message: `permutation importance ${g + 1}/${nGroups}` });
  }
  return { mean, std, baseline };
}
