import { describe, expect, it } from "vitest";
import { DmlError } from "@dml/runtime";
import { mapDiskFull } from "./fs-durability.js";

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

describe("mapDiskFull", () => {
  it.each(["ENOSPC", "EDQUOT"])("turns %s into TOO_LARGE (RESOURCE_EXHAUSTED) naming the write", (code) => {
    const mapped = mapDiskFull(errno(code), "writing k");
    expect(mapped).toBeInstanceOf(DmlError);
    expect(mapped).toMatchObject({ code: "TOO_LARGE", message: `writing k: no space left on the store's disk (${code})` });
  });

  it("leaves other errors alone", () => {
    const other = errno("EIO");
    expect(mapDiskFull(other, "writing k")).toBe(other);
  });
});
