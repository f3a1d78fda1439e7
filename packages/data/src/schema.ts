// Column types: the logical types users see, their physical Arrow types, how types promote when
// later rows disagree, when text is a category, and the user's per-column overrides.
import { DataError } from "./errors.js";

/** Logical column types (the REST `type`). */
export type ColumnType = "integer" | "number" | "boolean" | "category" | "string";
export const COLUMN_TYPES: readonly ColumnType[] = ["integer", "number", "boolean", "category", "string"];

/** How a column is stored in Arrow: category and string are both Utf8. */
export type PhysicalType = "int64" | "float64" | "bool" | "utf8";

export interface ColumnSchema {
  name: string;
  type: ColumnType;
}

/** A dataset's (or one batch's) columns, in file order. */
export type DatasetSchema = readonly ColumnSchema[];

export function physicalType(type: ColumnType): PhysicalType {
  switch (type) {
    case "integer":
      return "int64";
    case "number":
      return "float64";
    case "boolean":
      return "bool";
    case "category":
    case "string":
      return "utf8";
  }
}

/** Whether two schemas store the same names with the same Arrow types (category = string). */
export function samePhysicalSchema(a: DatasetSchema, b: DatasetSchema): boolean {
  return a.length === b.length && a.every((c, k) => c.name === b[k]!.name && physicalType(c.type) === physicalType(b[k]!.type));
}

/**
 * The type that holds values of both types: integer -> number -> string, and boolean with
 * anything else -> string. `undefined` is "no value seen yet" (an all-missing stretch).
 * Category joins as string; whether text is a category is decided once, over the whole dataset.
 */
export function promote(a: ColumnType | undefined, b: ColumnType | undefined): ColumnType | undefined {
  if (a === undefined) return b === "category" ? "string" : b;
  if (b === undefined || a === b) return a === "category" ? "string" : a;
  if ((a === "integer" && b === "number") || (a === "number" && b === "integer")) return "number";
  return "string";
}

/** A column with no value at all in the whole dataset is a number column of nulls (as in pandas). */
export const ALL_MISSING_TYPE: ColumnType = "number";

/**
 * Text is a category when it repeats: at most 1000 distinct values, and at most half as many
 * distinct values as non-missing cells (so a column of unique ids or free text stays string,
 * while species, country or grade become categories). Decided on the whole dataset's exact
 * distinct count; past the exact-count cap the column is string.
 */
export const CATEGORY_MAX_DISTINCT = 1000;
export const CATEGORY_MAX_DISTINCT_RATIO = 0.5;

export function textType(distinct: number, nonMissing: number, approximate: boolean): "category" | "string" {
  if (approximate || nonMissing === 0) return "string";
  return distinct <= CATEGORY_MAX_DISTINCT && distinct <= CATEGORY_MAX_DISTINCT_RATIO * nonMissing ? "category" : "string";
}

export type TypeOverrides = Readonly<Record<string, ColumnType>>;

/** Parses the upload's `types` parameter: `col:category,other:string` (names may not contain ":" or ","). */
export function parseTypeOverrides(spec: string): Record<string, ColumnType> {
  const out: Record<string, ColumnType> = Object.create(null) as Record<string, ColumnType>;
  for (const item of spec.split(",")) {
    if (item.trim() === "") continue;
    const colon = item.lastIndexOf(":");
    if (colon <= 0) throw new DataError(`bad type override ${JSON.stringify(item)}: write column:type, for example species:category`);
    const name = item.slice(0, colon);
    const type = item.slice(colon + 1).trim().toLowerCase();
    if (!isColumnType(type)) throw new DataError(`unknown type ${JSON.stringify(type)} for column ${JSON.stringify(name)}: use one of ${COLUMN_TYPES.join(", ")}`);
    out[name] = type;
  }
  return out;
}

export function isColumnType(s: string): s is ColumnType {
  return (COLUMN_TYPES as readonly string[]).includes(s);
}

/** Checks overrides against the header: every named column must exist and every type be known. */
export function checkTypeOverrides(header: readonly string[], overrides: TypeOverrides): void {
  const names = new Set(header);
  for (const [name, type] of Object.entries(overrides)) {
    if (!isColumnType(type)) throw new DataError(`unknown type ${JSON.stringify(type)} for column ${JSON.stringify(name)}: use one of ${COLUMN_TYPES.join(", ")}`);
    if (!names.has(name)) {
      const list = header.length > 20 ? `${header.slice(0, 20).join(", ")}, ...` : header.join(", ");
      throw new DataError(`a type is set for column ${JSON.stringify(name)}, but the file has no such column (its columns: ${list})`);
    }
  }
}
