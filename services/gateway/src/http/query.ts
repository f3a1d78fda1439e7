// Query-string parameters, validated with errors that name the parameter.
import { DmlError } from "@dml/runtime";

export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new DmlError("INVALID_ARGUMENT", `query parameter ${name} must be an integer between ${min} and ${max}`, {
      field: name,
      value: raw,
    });
  }
  return Number(raw);
}

export function enumParam<T extends string>(url: URL, name: string, allowed: readonly T[], fallback: T): T {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new DmlError("INVALID_ARGUMENT", `query parameter ${name} must be one of ${allowed.join(", ")}`, { field: name, value: raw });
  }
  return raw as T;
}
