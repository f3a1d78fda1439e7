// The filesystem steps that make a write durable, and the errors that mean "disk full".
import { open } from "node:fs/promises";
import { DmlError } from "@dml/runtime";

/** fsync of a directory: makes a rename or unlink inside it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Disk full or over quota, as RESOURCE_EXHAUSTED; anything else unchanged. */
export function mapDiskFull(err: unknown, what: string): unknown {
  const code = errnoCode(err);
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new DmlError("TOO_LARGE", `${what}: no space left on the store's disk (${code})`, { reason: "disk_full" });
  }
  return err;
}
