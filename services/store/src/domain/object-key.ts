// Object keys, as store.proto defines them: 1 to 512 characters, '/'-separated segments of
// [A-Za-z0-9_.-], no empty, "." or ".." segment, no leading '/'. Checked before anything else,
// although a key never becomes a path by itself (files are named by the key's hash).
import { DmlError } from "@dml/runtime";

export const MAX_KEY_LENGTH = 512;

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** Why `key` is not a valid object key, or undefined when it is. */
export function objectKeyProblem(key: string): string | undefined {
  if (key.length === 0) return "must not be empty";
  if (key.length > MAX_KEY_LENGTH) return `must be at most ${MAX_KEY_LENGTH} characters, got ${key.length}`;
  if (key.startsWith("/")) return "must not start with '/'";
  const segments = key.split("/");
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const where = `segment ${i + 1}`;
    if (segment === "") return `${where} is empty ('//' or a trailing '/')`;
    if (segment === "." || segment === "..") return `${where} is "${segment}"`;
    if (!SEGMENT.test(segment)) return `${where} has characters outside [A-Za-z0-9_.-]`;
  }
  return undefined;
}

/** Throws INVALID_ARGUMENT naming the problem unless `key` is a valid object key. */
export function assertObjectKey(key: string): string {
  const problem = objectKeyProblem(key);
  if (problem) {
    const shown = key.length > 80 ? `${key.slice(0, 80)}...` : key;
    throw new DmlError("INVALID_ARGUMENT", `invalid object key ${JSON.stringify(shown)}: ${problem}`, { key: shown });
  }
  return key;
}
