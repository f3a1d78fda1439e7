// Target label encoding for classification: any label type (strings, numbers, booleans) to
// 0..k-1, in the order of scikit-learn's LabelEncoder (numbers numerically, strings by code unit
// — the same as Python's order for text without astral characters —, false before true).

export type Label = string | number | boolean;

/** The text form of a label (probability keys, confusion matrix labels): strings as is, numbers in shortest decimal form, booleans "true"/"false". */
export function labelText(label: Label): string {
  return typeof label === "string" ? label : String(label);
}

function kindOf(v: Label): "string" | "number" | "boolean" {
  return typeof v as "string" | "number" | "boolean";
}

/** Sorted distinct labels; throws on mixed types, NaN or non-finite numbers. Missing labels (null/undefined) are refused: drop those rows first. */
export function labelClasses(values: Iterable<unknown>): Label[] {
  const seen = new Set<Label>();
  let kind: string | undefined;
  for (const v of values) {
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      throw new TypeError(`a class label must be a string, number or boolean, got ${v === null ? "null" : typeof v}`);
    }
    if (typeof v === "number" && !Number.isFinite(v)) throw new TypeError(`a class label must be a finite number, got ${v}`);
    const k = kindOf(v);
    if (kind === undefined) kind = k;
    else if (kind !== k) throw new TypeError(`class labels mix types (${kind} and ${k})`);
    seen.add(v);
  }
  const out = [...seen];
  if (kind === "number") (out as number[]).sort((a, b) => a - b);
  else if (kind === "boolean") out.sort((a, b) => Number(a) - Number(b));
  else (out as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

export class LabelEncoder {
  private readonly index: Map<Label, number>;

  constructor(readonly classes: readonly Label[]) {
    this.index = new Map(classes.map((c, i) => [c, i]));
    if (this.index.size !== classes.length) throw new Error("class labels must be distinct");
  }

  static fit(values: Iterable<unknown>): LabelEncoder {
    return new LabelEncoder(labelClasses(values));
  }

  /** The class index of each label; a label not among the classes throws. */
  encode(values: ArrayLike<unknown>): Int32Array {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const c = this.index.get(values[i] as Label);
      if (c === undefined) throw new Error(`unknown class label ${JSON.stringify(values[i])} at row ${i}`);
      out[i] = c;
    }
    return out;
  }

  decode(codes: ArrayLike<number>): Label[] {
    const out: Label[] = new Array(codes.length);
    for (let i = 0; i < codes.length; i++) {
      const c = this.classes[codes[i]!];
      if (c === undefined) throw new RangeError(`class index ${codes[i]} out of range 0..${this.classes.length - 1}`);
      out[i] = c;
    }
    return out;
  }
}
