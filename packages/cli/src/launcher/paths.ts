import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Role } from "@dml/runtime";

/** Repository root (this file compiles to packages/cli/dist/launcher/paths.js). */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export function roleEntryPoint(role: Role): string {
  return join(REPO_ROOT, "services", role, "dist", "main.js");
}
