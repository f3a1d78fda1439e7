// Feature preprocessing: raw dataset columns -> the numeric Matrix the algorithms fit on.
// Fitted on the TRAINING rows only; its state is plain JSON and saved inside the model, so
// predict applies exactly the same transformation.
//
// Per column type:
// - integer / number: missing values (NaN) replaced by the training median (0 when the column has
//   no value at all in training). One output column, named like the input.
// - boolean: false/true -> 0/1 (this is the one-hot encoding with one column dropped), missing
//   values replaced by the training median of the 0/1 values. One output column.
// - category / string: missing values (null) replaced by the most frequent training value (ties:
//   the smallest in code-unit order, like scikit-learn's SimpleImputer). Then
//   * at most `maxOneHot` (default 20) distinct training values: one-hot, one column per value in
//     sorted order, named "column=value"; a value not seen in training encodes as all zeros;
//   * more: one ordinal column holding the value's frequency rank in training (0 = most
//     frequent, ties in sorted order), keeping at most `maxCategories` (default 1000) values; a
//     value not kept or not seen in training gets the reserved code = number of kept values.
//   * no value at all in training: one constant 0 column.
// - Standardisation (only when the algorithm `wantsScaling`): (x - mean) / std with the training
//   mean and population std of each numeric, boolean or ordinal output column (std 0 -> 1).
//   One-hot columns are left as 0/1.

import { matrix, type Matrix } from "../core/matrix.js";

export type ColumnType = "integer" | "number" | "boolean" | "category" | "string";
export const COLUMN_TYPES: readonly ColumnType[] = ["integer", "number", "boolean", "category", "string"];

/** A raw feature column: numbers as a Float64Array (NaN = missing) or an array with nulls; booleans as booleans (or 0/1/NaN); text as strings. */
export interface FeatureColumn {
  name: string;
  type: ColumnType;
  values: Float64Array | ArrayLike<number | null> | ArrayLike<string | null> | ArrayLike<boolean | null>;
}

export interface PreprocessOptions {
  /** Standardise the output columns (the algorithm's `wantsScaling`). Default false. */
  scale?: boolean;
  /** Categorical columns with at most this many distinct training values are one-hot encoded. Default 20. */
  maxOneHot?: number;
  /** Ordinal-encoded columns keep at most this many values (the most frequent). Default 1000. */
  maxCategories?: number;
}

export type ColumnState =
  | { name: string; type: "integer" | "number" | "boolean"; encoding: "numeric"; fill: number }
  | { name: string; type: "category" | "string"; encoding: "onehot"; fill: string | null; categories: string[] }
  | { name: string; type: "category" | "string"; encoding: "ordinal"; fill: string | null; categories: string[] };

export interface PreprocessorState {
  columns: ColumnState[];
  /** Per output column; absent when the algorithm does not want scaling. */
  scale?: { mean: number[]; std: number[] };
}

export const DEFAULT_MAX_ONE_HOT = 20;
export const DEFAULT_MAX_CATEGORIES = 1000;

function numericAt(values: FeatureColumn["values"], i: number): number {
  const v = values[i];
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return NaN;
}

function textAt(values: FeatureColumn["values"], i: number): string | null {
  const v = values[i];
  return typeof v === "string" ? v : null;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
}

function rowCount(columns: readonly FeatureColumn[]): number {
  return columns.length === 0 ? 0 : columns[0]!.values.length;
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function isNumericType(t: ColumnType): t is "integer" | "number" | "boolean" {
  return t === "integer" || t === "number" || t === "boolean";
}

export class PreprocessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreprocessError";
  }
}

export class Preprocessor {
  readonly state: PreprocessorState;
  /** Output column names, e.g. "sepal_length", "color=red". */
  readonly featureNames: readonly string[];
  /** Output column -> index of its input column (in `state.columns`). */
  readonly featureSource: Int32Array;
  private readonly lookup: (Map<string, number> | null)[];

  constructor(state: PreprocessorState) {
    this.state = validatePreprocessorState(state);
    const names: string[] = [];
    const source: number[] = [];
    this.lookup = [];
    this.state.columns.forEach((c, j) => {
      if (c.encoding === "numeric") {
        names.push(c.name);
        source.push(j);
        this.lookup.push(null);
      } else if (c.encoding === "onehot") {
        for (const v of c.categories) {
          names.push(`${c.name}=${v}`);
          source.push(j);
        }
        this.lookup.push(new Map(c.categories.map((v, k) => [v, k])));
      } else {
        names.push(c.name);
        source.push(j);
        this.lookup.push(new Map(c.categories.map((v, k) => [v, k])));
      }
    });
    this.featureNames = names;
    this.featureSource = Int32Array.from(source);
    if (this.state.scale && this.state.scale.mean.length !== names.length) {
      throw new PreprocessError(`preprocessing scale has ${this.state.scale.mean.length} columns, expected ${names.length}`);
    }
  }

  /** The input columns it expects, in order. */
  get columns(): readonly { name: string; type: ColumnType }[] {
    return this.state.columns.map((c) => ({ name: c.name, type: c.type }));
  }

  /** Fits on the rows at `index` (default: all rows) of `columns`. */
  static fit(columns: readonly FeatureColumn[], options: PreprocessOptions = {}, index?: ArrayLike<number>): Preprocessor {
    const maxOneHot = options.maxOneHot ?? DEFAULT_MAX_ONE_HOT;
    const maxCategories = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
    const rows = index ?? identity(rowCount(columns));
    const names = new Set<string>();
    const states: ColumnState[] = columns.map((col) => {
      if (names.has(col.name)) throw new PreprocessError(`duplicate feature column ${col.name}`);
      names.add(col.name);
      if (!COLUMN_TYPES.includes(col.type)) throw new PreprocessError(`column ${col.name} has unknown type ${String(col.type)}`);
      if (isNumericType(col.type)) {
        const vals: number[] = [];
        for (let k = 0; k < rows.length; k++) {
          const v = numericAt(col.values, rows[k]!);
          if (!Number.isNaN(v)) vals.push(v);
        }
        const sorted = Float64Array.from(vals).sort();
        return { name: col.name, type: col.type, encoding: "numeric", fill: median(sorted) };
      }
      const counts = new Map<string, number>();
      for (let k = 0; k < rows.length; k++) {
        const v = textAt(col.values, rows[k]!);
        if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      // Frequency rank: count descending, then value ascending.
      const byFreq = [...counts.entries()].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]));
      const fill = byFreq.length > 0 ? byFreq[0]![0] : null;
      if (byFreq.length > 0 && byFreq.length <= maxOneHot) {
        return { name: col.name, type: col.type, encoding: "onehot", fill, categories: byFreq.map((e) => e[0]).sort(cmp) };
      }
      return { name: col.name, type: col.type, encoding: "ordinal", fill, categories: byFreq.slice(0, maxCategories).map((e) => e[0]) };
    });
    const unscaled = new Preprocessor({ columns: states });
    if (!options.scale) return unscaled;
    const X = unscaled.transform(columns, rows);
    const mean: number[] = [];
    const std: number[] = [];
    for (let j = 0; j < X.cols; j++) {
      const c = states[unscaled.featureSource[j]!]!;
      if (c.encoding === "onehot" || X.rows === 0) {
        mean.push(0);
        std.push(1);
        continue;
      }
      let s = 0;
      const off = j * X.rows;
      for (let i = 0; i < X.rows; i++) s += X.data[off + i]!;
      const m = s / X.rows;
      let ss = 0;
      for (let i = 0; i < X.rows; i++) {
        const d = X.data[off + i]! - m;
        ss += d * d;
      }
      const sd = Math.sqrt(ss / X.rows);
      mean.push(m);
      std.push(sd <= 1e-12 * Math.max(1, Math.abs(m)) ? 1 : sd);
    }
    return new Preprocessor({ columns: states, scale: { mean, std } });
  }

  static fromState(state: unknown): Preprocessor {
    return new Preprocessor(state as PreprocessorState);
  }

  /** The encoded matrix of the rows at `index` (default: all rows). Columns are matched by name; extra columns are ignored. */
  transform(columns: readonly FeatureColumn[], index?: ArrayLike<number>): Matrix {
    const byName = new Map(columns.map((c) => [c.name, c]));
    const rows = index ?? identity(rowCount(columns));
    const n = rows.length;
    const X = matrix(n, this.featureNames.length);
    let out = 0;
    this.state.columns.forEach((c, j) => {
      const col = byName.get(c.name);
      if (!col) throw new PreprocessError(`missing feature column ${c.name}`);
      const values = col.values;
      if (c.encoding === "numeric") {
        const off = out * n;
        for (let k = 0; k < n; k++) {
          const v = numericAt(values, rows[k]!);
          X.data[off + k] = Number.isNaN(v) ? c.fill : v;
        }
        out += 1;
      } else if (c.encoding === "onehot") {
        const map = this.lookup[j]!;
        for (let k = 0; k < n; k++) {
          const v = textAt(values, rows[k]!) ?? c.fill;
          const code = v === null ? undefined : map.get(v);
          if (code !== undefined) X.data[(out + code) * n + k] = 1; // unseen: all zeros
        }
        out += c.categories.length;
      } else {
        const map = this.lookup[j]!;
        const reserved = c.categories.length;
        const off = out * n;
        for (let k = 0; k < n; k++) {
          const v = textAt(values, rows[k]!) ?? c.fill;
          X.data[off + k] = v === null ? reserved : (map.get(v) ?? reserved);
        }
        out += 1;
      }
    });
    const sc = this.state.scale;
    if (sc) {
      for (let j = 0; j < X.cols; j++) {
        const m = sc.mean[j]!;
        const s = sc.std[j]!;
        if (m === 0 && s === 1) continue;
        const off = j * n;
        for (let k = 0; k < n; k++) X.data[off + k] = (X.data[off + k]! - m) / s;
      }
    }
    return X;
  }

  /** Per input column: the sum of its output columns' values (e.g. importances of the encoded features). */
  columnSums(perFeature: ArrayLike<number>): Record<string, number> {
    if (perFeature.length !== this.featureNames.length) {
      throw new RangeError(`got ${perFeature.length} values, expected one per encoded feature (${this.featureNames.length})`);
    }
    const out: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const c of this.state.columns) out[c.name] = 0;
    for (let j = 0; j < perFeature.length; j++) out[this.state.columns[this.featureSource[j]!]!.name]! += perFeature[j]!;
    return out;
  }
}

/** Checks a (possibly untrusted) preprocessing state; throws PreprocessError naming what is wrong. */
export function validatePreprocessorState(raw: unknown): PreprocessorState {
  const fail = (m: string): never => {
    throw new PreprocessError(`invalid preprocessing state: ${m}`);
  };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) fail("not an object");
  const s = raw as Record<string, unknown>;
  if (!Array.isArray(s.columns)) fail("columns must be an array");
  const names = new Set<string>();
  (s.columns as unknown[]).forEach((c, j) => {
    if (!c || typeof c !== "object") fail(`columns[${j}] is not an object`);
    const col = c as Record<string, unknown>;
    if (typeof col.name !== "string") fail(`columns[${j}].name must be a string`);
    if (names.has(col.name as string)) fail(`duplicate column ${String(col.name)}`);
    names.add(col.name as string);
    if (!COLUMN_TYPES.includes(col.type as ColumnType)) fail(`columns[${j}].type ${JSON.stringify(col.type)} is unknown`);
    if (col.encoding === "numeric") {
      if (!isNumericType(col.type as ColumnType)) fail(`columns[${j}]: numeric encoding for a ${String(col.type)} column`);
      if (typeof col.fill !== "number" || !Number.isFinite(col.fill)) fail(`columns[${j}].fill must be a finite number`);
    } else if (col.encoding === "onehot" || col.encoding === "ordinal") {
      if (col.type !== "category" && col.type !== "string") fail(`columns[${j}]: ${col.encoding} encoding for a ${String(col.type)} column`);
      if (col.fill !== null && typeof col.fill !== "string") fail(`columns[${j}].fill must be a string or null`);
      if (!Array.isArray(col.categories) || !col.categories.every((v) => typeof v === "string")) fail(`columns[${j}].categories must be strings`);
      if (new Set(col.categories as string[]).size !== (col.categories as string[]).length) fail(`columns[${j}].categories has duplicates`);
    } else {
      fail(`columns[${j}].encoding ${JSON.stringify(col.encoding)} is unknown`);
    }
  });
  if (s.scale !== undefined) {
    const sc = s.scale as Record<string, unknown> | null;
    if (!sc || typeof sc !== "object") fail("scale must be an object");
    const ok = (a: unknown) => Array.isArray(a) && a.every((v) => typeof v === "number" && Number.isFinite(v));
    if (!ok(sc!.mean) || !ok(sc!.std)) fail("scale.mean and scale.std must be arrays of finite numbers");
    if ((sc!.mean as number[]).length !== (sc!.std as number[]).length) fail("scale.mean and scale.std differ in length");
    if ((sc!.std as number[]).some((v) => v <= 0)) fail("scale.std must be positive");
  }
  return s as unknown as PreprocessorState;
}
