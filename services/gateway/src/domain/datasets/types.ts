import type { ColumnManifest } from "@dml/catalog";

export { COLUMN_TYPES, type ColumnType } from "@dml/data";
import type { ColumnType } from "@dml/data";

export interface UploadRequest {
  name: string;
  delimiter?: string;
  types?: Record<string, ColumnType>;
  rowsPerBatch?: number;
  chunks: AsyncIterable<Uint8Array>;
}

/** A dataset as the REST API shows it (DESIGN.md). */
export interface DatasetView {
  id: string;
  name: string;
  rows: number;
  columns: ColumnManifest[];
  /** Number of Arrow record batches. */
  batches: number;
  bytes: number;
  createdAt: string;
  /** Live replica count of the least-replicated batch. */
  replicas: number;
  warnings: string[];
}

export interface RowsPage {
  rows: Array<Record<string, number | boolean | string | null>>;
  total: number;
  columns: string[];
}
