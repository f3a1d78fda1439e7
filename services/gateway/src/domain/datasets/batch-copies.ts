import type { NodeDirectory, StoreClients } from "@dml/runtime";
import type { BatchManifest } from "@dml/catalog";

/**
 * Deletes every listed copy of the batches, best effort (orphan cleanup removes what is left);
 * returns how many deletions failed. A store that is not live is skipped.
 */
export async function deleteBatchCopies(
  batches: readonly BatchManifest[],
  deps: { directory: NodeDirectory; stores: StoreClients },
): Promise<number> {
  const deletions = batches.flatMap((b) =>
    b.replicas.map(async (storeId) => {
      const node = deps.directory.get(storeId);
      if (!node) return;
      await deps.stores.deleteObject(node.address, b.objectKey, { signal: AbortSignal.timeout(10_000) });
    }),
  );
  return (await Promise.allSettled(deletions)).filter((r) => r.status === "rejected").length;
}
