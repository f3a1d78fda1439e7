// A dataset's manifest: what etcd records once every batch is durable on its replicas. It is
// the only way to find a dataset's bytes; no manifest, no dataset.
import type { Etcd3 } from "etcd3";
import { commonV1 } from "@dml/proto";
import { DmlError } from "@dml/runtime";

export const DATASETS_PREFIX = "/dml/datasets/";
export const datasetKey = (id: string) => `${DATASETS_PREFIX}${id}`;
/** Present while an upload runs, under the uploading gateway's lease: orphan cleanup skips these. */
export const UPLOADS_PREFIX = "/dml/uploads/";
export const uploadKey = (id: string) => `${UPLOADS_PREFIX}${id}`;

export interface ChecksumJson {
  algorithm: "crc32c" | "sha256";
  value: string;
}

const ALGORITHMS: Record<ChecksumJson["algorithm"], commonV1.ChecksumAlgorithm> = {
  crc32c: commonV1.ChecksumAlgorithm.CHECKSUM_ALGORITHM_CRC32C,
  sha256: commonV1.ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256,
};

export function toProtoChecksum(c: ChecksumJson): commonV1.Checksum {
  return { algorithm: ALGORITHMS[c.algorithm], value: c.value };
}

export function fromProtoChecksum(c: commonV1.Checksum): ChecksumJson {
  const algorithm = c.algorithm === commonV1.ChecksumAlgorithm.CHECKSUM_ALGORITHM_SHA256 ? "sha256" : "crc32c";
  return { algorithm, value: c.value };
}

export interface BatchManifest {
  index: number;
  rows: number;
  bytes: number;
  checksum: ChecksumJson;
  /** Store node ids holding a durable copy. */
  replicas: string[];
  objectKey: string;
}

/** Per-column statistics over non-missing values (computed by @dml/data at ingest). */
export interface ColumnStatsManifest {
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  distinct: number;
  /** Set when the column had too many distinct values to count exactly. */
  distinctApproximate?: boolean;
  topValues?: Array<{ value: string | boolean; count: number }>;
  topValuesApproximate?: boolean;
}

export interface ColumnManifest {
  name: string;
  type: "integer" | "number" | "boolean" | "category" | "string";
  missing: number;
  stats: ColumnStatsManifest;
}

export interface DatasetManifest {
  id: string;
  name: string;
  rows: number;
  columns: ColumnManifest[];
  batches: BatchManifest[];
  bytes: number;
  createdAt: string;
  /** The replication factor asked for at upload (DML_REPLICATION). */
  replication: number;
  warnings: string[];
}

export class DatasetRepository {
  constructor(private readonly etcd: Etcd3) {}

  /** Records a new dataset; fails if the id is taken (ids are random, so that is a bug). */
  async create(manifest: DatasetManifest): Promise<void> {
    const key = datasetKey(manifest.id);
    const res = await this.etcd
      .if(key, "Create", "==", 0)
      .then(this.etcd.put(key).value(JSON.stringify(manifest)), this.etcd.delete().key(uploadKey(manifest.id)))
      .commit();
    if (!res.succeeded) throw new DmlError("ALREADY_EXISTS", `dataset ${manifest.id} already exists`);
  }

  async get(id: string): Promise<DatasetManifest | undefined> {
    const raw = await this.etcd.get(datasetKey(id)).string();
    return raw ? (JSON.parse(raw) as DatasetManifest) : undefined;
  }

  async require(id: string): Promise<DatasetManifest> {
    const manifest = await this.get(id);
    if (!manifest) throw new DmlError("NOT_FOUND", `dataset ${id} not found`, { datasetId: id });
    return manifest;
  }

  /** Every dataset, newest first. */
  async list(): Promise<DatasetManifest[]> {
    const all = await this.etcd.getAll().prefix(DATASETS_PREFIX).strings();
    return Object.values(all)
      .map((v) => JSON.parse(v) as DatasetManifest)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
  }

  /** Removes the manifest and returns it; NOT_FOUND when it was not there. */
  async delete(id: string): Promise<DatasetManifest> {
    const res = await this.etcd.delete().key(datasetKey(id)).getPrevious();
    const prev = res[0];
    if (!prev) throw new DmlError("NOT_FOUND", `dataset ${id} not found`, { datasetId: id });
    return JSON.parse(prev.value.toString()) as DatasetManifest;
  }
}
