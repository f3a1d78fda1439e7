// repairObject with a fake copier: which stores get a copy, from where, and what the new replica
// list is, for batches and model documents alike.
import { describe, expect, it, vi } from "vitest";
import { createLogger } from "@dml/runtime";
import { storeV1 } from "@dml/proto";
import { repairObject, type LiveStore } from "./replication-repair.js";

const log = createLogger({ service: "test", node: "test", level: "silent" });
const live: LiveStore[] = ["s1", "s2", "s3", "s4"].map((id) => ({ id, address: `addr-${id}` }));
const model = (replicas: string[]) => ({
  key: "models/m-1.json",
  size: 10,
  checksum: { algorithm: "crc32c" as const, value: "abc" },
  replicas,
  kind: storeV1.ObjectKind.OBJECT_KIND_MODEL,
});

describe("repairObject", () => {
  it("copies a model document from a surviving replica to new stores until it has the target count", async () => {
    const copier = { copyObjectFrom: vi.fn(async () => ({})) };
    const { replicas, copies } = await repairObject(model(["s1", "dead"]), live, 3, copier, log);
    expect(copies).toBe(2);
    expect(replicas).toHaveLength(3);
    expect(replicas[0]).toBe("s1");
    expect(new Set(replicas).size).toBe(3);
    for (const [, req] of copier.copyObjectFrom.mock.calls as unknown as Array<[string, storeV1.CopyObjectFromRequest]>) {
      expect(req).toMatchObject({ key: "models/m-1.json", sourceAddress: "addr-s1", size: 10, kind: storeV1.ObjectKind.OBJECT_KIND_MODEL });
    }
  });

  it("drops dead holders without copying when enough live ones remain, and copies nothing without a live source", async () => {
    const copier = { copyObjectFrom: vi.fn(async () => ({})) };
    expect(await repairObject(model(["s1", "s2", "dead"]), live, 2, copier, log)).toEqual({ replicas: ["s1", "s2"], copies: 0 });
    expect(await repairObject(model(["dead"]), live, 3, copier, log)).toEqual({ replicas: [], copies: 0 });
    expect(copier.copyObjectFrom).not.toHaveBeenCalled();
  });

  it("tries the next source when a copy fails, and skips a target no source could fill", async () => {
    const copier = {
      copyObjectFrom: vi.fn(async (to: string, req: { sourceAddress: string }) => {
        if (req.sourceAddress === "addr-s1") throw new Error("source s1 broken");
        if (to === "addr-s4") throw new Error("target s4 full");
        return {};
      }),
    };
    const { replicas, copies } = await repairObject(model(["s1", "s2"]), live, 3, copier, log);
    expect(copies).toBe(1);
    expect(replicas.slice(0, 2)).toEqual(["s1", "s2"]);
    expect(replicas[2]).toBe("s3");
  });
});
