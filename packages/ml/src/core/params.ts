// Algorithm parameters, validated with errors that name the parameter (a user's typo or a bad
// value must not reach a fit). Names and meanings follow scikit-learn.

export class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = "ParamError";
  }
}

export type ParamSpec =
  | { type: "int"; default: number | null; min?: number; max?: number; nullable?: boolean; doc: string }
  | { type: "float"; default: number | null; min?: number; max?: number; exclusiveMin?: boolean; nullable?: boolean; doc: string }
  | { type: "bool"; default: boolean; doc: string }
  | { type: "enum"; values: readonly string[]; default: string; doc: string }
  /** An enum or a number, like scikit-learn's max_features ("sqrt", "log2", 0.5, 3) or gamma ("scale", 0.1). */
  | { type: "enum_or_number"; values: readonly string[]; default: string | number | null; min?: number; nullable?: boolean; doc: string };

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;
export type ParamValue = number | string | boolean | null;
export type ParamValues = Record<string, ParamValue>;

function checkNumber(name: string, v: unknown, spec: { min?: number; max?: number; exclusiveMin?: boolean }, integer: boolean): number {
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new ParamError(name, `${name} must be ${integer ? "an integer" : "a number"}, got ${JSON.stringify(v)}`);
  }
  if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
    throw new ParamError(name, `${name} must be ${spec.exclusiveMin ? ">" : ">="} ${spec.min}, got ${v}`);
  }
  if (spec.max !== undefined && v > spec.max) throw new ParamError(name, `${name} must be <= ${spec.max}, got ${v}`);
  return v;
}

/** Defaults filled in, unknown names and bad values refused (ParamError naming the parameter). */
export function validateParams(specs: ParamSpecs, raw: Record<string, unknown> = {}, algorithm = "the algorithm"): ParamValues {
  for (const name of Object.keys(raw)) {
    if (!(name in specs)) {
      throw new ParamError(name, `unknown parameter ${name} for ${algorithm}; known: ${Object.keys(specs).sort().join(", ")}`);
    }
  }
  const out: ParamValues = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = raw[name];
    if (v === undefined) {
      out[name] = spec.default;
      continue;
    }
    if (v === null && "nullable" in spec && spec.nullable) {
      out[name] = null;
      continue;
    }
    switch (spec.type) {
      case "int":
        out[name] = checkNumber(name, v, spec, true);
        break;
      case "float":
        out[name] = checkNumber(name, v, spec, false);
        break;
      case "bool":
        if (typeof v !== "boolean") throw new ParamError(name, `${name} must be true or false, got ${JSON.stringify(v)}`);
        out[name] = v;
        break;
      case "enum":
        if (typeof v !== "string" || !spec.values.includes(v)) {
          throw new ParamError(name, `${name} must be one of ${spec.values.join(", ")}, got ${JSON.stringify(v)}`);
        }
        out[name] = v;
        break;
      case "enum_or_number":
        if (typeof v === "string") {
          if (!spec.values.includes(v)) throw new ParamError(name, `${name} must be one of ${spec.values.join(", ")} or a number, got ${JSON.stringify(v)}`);
          out[name] = v;
        } else {
          out[name] = checkNumber(name, v, spec, false);
        }
        break;
    }
  }
  return out;
}
