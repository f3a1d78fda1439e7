// dml.dataset.v1.DatasetService: checks input, calls the Datasets domain, shapes messages.
// Errors are DmlErrors from the domain, mapped by the server's one table.
import type { ServiceImplementation } from "nice-grpc";
import { datasetV1 } from "@dml/proto";
import { DmlError, STORE_CHUNK_BYTES } from "@dml/runtime";
import { toProtoChecksum, type ColumnManifest, type DatasetManifest } from "@dml/catalog";
import type { Datasets } from "../domain/datasets/datasets.js";
import type { ColumnType } from "../domain/datasets/types.js";

const { ColumnType: PbType } = datasetV1;

const TYPE_TO_PROTO: Record<ColumnType, datasetV1.ColumnType> = {
  integer: PbType.COLUMN_TYPE_INTEGER,
  number: PbType.COLUMN_TYPE_NUMBER,
  boolean: PbType.COLUMN_TYPE_BOOLEAN,
  category: PbType.COLUMN_TYPE_CATEGORY,
  string: PbType.COLUMN_TYPE_STRING,
};
const TYPE_FROM_PROTO = new Map(Object.entries(TYPE_TO_PROTO).map(([k, v]) => [v, k as ColumnType]));

function columnToProto(c: ColumnManifest): datasetV1.Column {
  const s = c.stats;
  return {
    name: c.name,
    type: TYPE_TO_PROTO[c.type],
    missing: c.missing,
    stats: {
      min: s.min,
      max: s.max,
      mean: s.mean,
      std: s.std,
      distinct: s.distinct,
      topValues: (s.topValues ?? []).map((t) => ({ value: String(t.value), count: t.count })),
      distinctApproximate: s.distinctApproximate === true,
    },
  };
}

function datasetToProto(m: DatasetManifest, replicas: number): datasetV1.Dataset {
  return {
    id: m.id,
    name: m.name,
    rows: m.rows,
    columns: m.columns.map(columnToProto),
    batches: m.batches.map((b) => ({
      index: b.index,
      rows: b.rows,
      bytes: b.bytes,
      checksum: toProtoChecksum(b.checksum),
      replicaNodeIds: b.replicas,
      objectKey: b.objectKey,
    })),
    bytes: m.bytes,
    createdAt: m.createdAt,
    replicas,
    warnings: m.warnings,
  };
}

/** Splits bytes into messages no larger than the store's chunk size (views, not copies). */
function* slices(data: Uint8Array): Iterable<Buffer> {
  for (let off = 0; off < data.byteLength; off += STORE_CHUNK_BYTES) {
    yield Buffer.from(data.buffer, data.byteOffset + off, Math.min(STORE_CHUNK_BYTES, data.byteLength - off));
  }
}

function tooLarge(limit: number): DmlError {
  return new DmlError("TOO_LARGE", `upload exceeds the limit of ${limit} bytes (DML_MAX_UPLOAD_BYTES)`, { limitBytes: limit });
}

/** `maxUploadBytes`: DML_MAX_UPLOAD_BYTES, enforced on the chunks as they arrive (RESOURCE_EXHAUSTED). */
export function datasetService(
  datasets: Datasets,
  opts: { maxUploadBytes: number },
): ServiceImplementation<typeof datasetV1.DatasetServiceDefinition> {
  const { maxUploadBytes } = opts;
  const toProto = (m: DatasetManifest) => datasetToProto(m, datasets.view(m).replicas);
  return {
    async uploadDataset(requests) {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      const header = !first.done && first.value.part?.$case === "header" ? first.value.part.header : undefined;
      if (!header) throw new DmlError("INVALID_ARGUMENT", "the first UploadDatasetRequest must be a header", { field: "header" });
      if (!header.name || header.name.length > 256) {
        throw new DmlError("INVALID_ARGUMENT", "header.name must be 1 to 256 characters", { field: "name" });
      }
      if (header.expectedBytes > maxUploadBytes) throw tooLarge(maxUploadBytes);
      const types: Record<string, ColumnType> = {};
      for (const [column, t] of Object.entries(header.typeOverrides)) {
        const type = TYPE_FROM_PROTO.get(t);
        if (!type) throw new DmlError("INVALID_ARGUMENT", `type override for ${column} is not a column type`, { field: "typeOverrides" });
        types[column] = type;
      }
      async function* chunks(): AsyncIterable<Uint8Array> {
        let seen = 0;
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          if (next.value.part?.$case !== "chunk") {
            throw new DmlError("INVALID_ARGUMENT", "every UploadDatasetRequest after the header must be a chunk", { field: "chunk" });
          }
          seen += next.value.part.chunk.byteLength;
          if (seen > maxUploadBytes) throw tooLarge(maxUploadBytes);
          yield next.value.part.chunk;
        }
      }
      const manifest = await datasets.uploadManifest({
        name: header.name,
        delimiter: header.delimiter || undefined,
        types: Object.keys(types).length > 0 ? types : undefined,
        rowsPerBatch: header.rowsPerBatch || undefined,
        chunks: chunks(),
      });
      return { dataset: toProto(manifest) };
    },
    async getDataset({ datasetId }) {
      return { dataset: toProto(await datasets.manifest(datasetId)) };
    },
    async listDatasets() {
      return { datasets: (await datasets.listManifests()).map(toProto) };
    },
    async getDatasetRows({ datasetId, offset, limit }) {
      if (offset < 0) throw new DmlError("INVALID_ARGUMENT", "offset must be >= 0", { field: "offset" });
      if (limit < 0 || limit > 10_000) throw new DmlError("INVALID_ARGUMENT", "limit must be between 0 and 10000", { field: "limit" });
      const page = await datasets.rows(datasetId, offset, limit || 100);
      return { rows: page.rows, total: page.total, columns: page.columns };
    },
    async *downloadDataset({ datasetId, format }) {
      const arrow = format === datasetV1.DatasetFormat.DATASET_FORMAT_ARROW;
      const { chunks } = await datasets.download(datasetId, arrow ? "arrow" : "csv");
      for await (const chunk of chunks) for (const piece of slices(chunk)) yield { chunk: piece };
    },
    async deleteDataset({ datasetId }) {
      await datasets.delete(datasetId);
      return {};
    },
    async *streamDatasetBatches({ datasetId, batchIndexes }) {
      const m = await datasets.manifest(datasetId);
      for (const batch of datasets.selectBatches(m, batchIndexes)) {
        const data = await datasets.fetcher.fetch(m.id, batch);
        yield {
          part: {
            $case: "header",
            header: { index: batch.index, rows: batch.rows, bytes: batch.bytes, checksum: toProtoChecksum(batch.checksum) },
          },
        };
        for (const piece of slices(data)) yield { part: { $case: "chunk", chunk: piece } };
      }
    },
  };
}
