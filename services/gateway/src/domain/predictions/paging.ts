// Which result objects (one per dataset batch, in order) cover a page of rows, so a page reads
// only the objects it needs.
import type { ResultObjectJson } from "@dml/catalog";

export interface ResultSlice {
  result: ResultObjectJson;
  /** First row to take within the object. */
  offset: number;
  /** Rows to take from it. */
  limit: number;
}

/** Results in dataset order (by batch index). */
export function orderedResults(results: readonly ResultObjectJson[]): ResultObjectJson[] {
  return [...results].sort((a, b) => a.batchIndex - b.batchIndex);
}

/** The slices of `results` (in dataset order) covering rows [offset, offset + limit). */
export function sliceResults(results: readonly ResultObjectJson[], offset: number, limit: number): ResultSlice[] {
  const slices: ResultSlice[] = [];
  const end = offset + limit;
  let first = 0;
  for (const result of orderedResults(results)) {
    const last = first + result.rows;
    if (last > offset && first < end) {
      const local = Math.max(offset - first, 0);
      slices.push({ result, offset: local, limit: Math.min(last, end) - first - local });
    }
    if (last >= end) break;
    first = last;
  }
  return slices;
}
