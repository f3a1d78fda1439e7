// Feature matrices are column-major Float64Arrays: column j is data[j*rows .. (j+1)*rows).
// Tree split search and per-feature statistics walk one column at a time, which this layout
// keeps contiguous; row-oriented algorithms (KNN, SVM) copy to row-major where it pays.

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Column-major values; NaN marks a missing value (preprocessing removes them before fitting). */
  readonly data: Float64Array;
}

export function matrix(rows: number, cols: number, data = new Float64Array(rows * cols)): Matrix {
  if (data.length !== rows * cols) throw new RangeError(`matrix data has ${data.length} values, expected ${rows} x ${cols}`);
  return { rows, cols, data };
}

/** From row arrays (tests, small inputs). */
export function fromRows(rows: ArrayLike<number>[]): Matrix {
  const n = rows.length;
  const d = n === 0 ? 0 : rows[0]!.length;
  const m = matrix(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m.data[j * n + i] = rows[i]![j]!;
  return m;
}

/** From whole columns (the Arrow path: one Float64Array per feature). */
export function fromColumns(columns: ArrayLike<number>[], rows = columns[0]?.length ?? 0): Matrix {
  const m = matrix(rows, columns.length);
  columns.forEach((c, j) => {
    if (c.length !== rows) throw new RangeError(`column ${j} has ${c.length} values, expected ${rows}`);
    m.data.set(c as ArrayLike<number>, j * rows);
  });
  return m;
}

/** A view of column j (no copy). */
export function column(m: Matrix, j: number): Float64Array {
  return m.data.subarray(j * m.rows, (j + 1) * m.rows);
}

export function get(m: Matrix, i: number, j: number): number {
  return m.data[j * m.rows + i]!;
}

/** The rows at `index`, in that order (copies). */
export function selectRows(m: Matrix, index: ArrayLike<number>): Matrix {
  const n = index.length;
  const out = matrix(n, m.cols);
  for (let j = 0; j < m.cols; j++) {
    const src = j * m.rows;
    const dst = j * n;
    for (let i = 0; i < n; i++) out.data[dst + i] = m.data[src + index[i]!]!;
  }
  return out;
}

/** Row-major copy (rows x cols), for algorithms that work row by row. */
export function toRowMajor(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let j = 0; j < m.cols; j++) {
    const src = j * m.rows;
    for (let i = 0; i < m.rows; i++) out[i * m.cols + j] = m.data[src + i]!;
  }
  return out;
}
