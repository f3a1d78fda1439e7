import type { ModelRecord } from "@dml/catalog";

/**
 * A model as the REST API shows it (DESIGN.md): the registry record without where its bytes
 * live, plus how many live stores hold them.
 */
export type ModelView = Omit<ModelRecord, "object"> & {
  /** Live stores holding the model document. */
  replicas: number;
};

export interface ModelFilter {
  trainingId?: string;
  datasetId?: string;
}

/** A model document being downloaded: its size up front, its bytes as they arrive. */
export interface ModelDocument {
  id: string;
  size: number;
  chunks: AsyncIterable<Uint8Array>;
}
