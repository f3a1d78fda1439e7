// Model registry entries between their etcd JSON (ModelRecord) and the protobuf Model that
// trainers report and the public API returns.
import { datasetV1, modelV1, type workV1 } from "@dml/proto";
import { algorithmEnum, algorithmName, taskTypeEnum, taskTypeName } from "./training-enums.js";
import { fromProtoChecksum, toProtoChecksum } from "./datasets.js";
import type { ModelRecord, StoredObjectJson } from "./trainings.js";

const { ColumnType } = datasetV1;
const COLUMN_TYPE: Readonly<Record<string, datasetV1.ColumnType>> = {
  integer: ColumnType.COLUMN_TYPE_INTEGER,
  number: ColumnType.COLUMN_TYPE_NUMBER,
  boolean: ColumnType.COLUMN_TYPE_BOOLEAN,
  category: ColumnType.COLUMN_TYPE_CATEGORY,
  string: ColumnType.COLUMN_TYPE_STRING,
};
const COLUMN_TYPE_NAME = new Map(Object.entries(COLUMN_TYPE).map(([k, v]) => [v, k]));

export function storedObjectFromProto(o: workV1.StoredObject): StoredObjectJson {
  return {
    key: o.key,
    size: o.size,
    checksum: fromProtoChecksum(o.checksum ?? { algorithm: 0, value: "" }),
    replicas: [...o.replicaNodeIds],
  };
}

export function storedObjectToProto(o: StoredObjectJson): workV1.StoredObject {
  return { key: o.key, size: o.size, checksum: toProtoChecksum(o.checksum), replicaNodeIds: [...o.replicas] };
}

export function modelToProto(m: ModelRecord): modelV1.Model {
  return {
    id: m.id,
    algorithm: algorithmEnum(m.algorithm),
    task: taskTypeEnum(m.task),
    target: m.target,
    features: m.features.map((f) => ({ name: f.name, type: COLUMN_TYPE[f.type] ?? ColumnType.COLUMN_TYPE_UNSPECIFIED })),
    classes: m.classes ?? [],
    params: m.params,
    metrics: m.metrics,
    cvMetrics: m.cvMetrics ?? {},
    featureImportance: m.featureImportance ?? {},
    confusionMatrix: m.confusionMatrix && { labels: m.confusionMatrix.labels, rows: m.confusionMatrix.rows.map((counts) => ({ counts })) },
    rocCurve: (m.rocCurve ?? []).map((c) => ({ positiveClass: c.positiveClass, auc: c.auc, points: c.points })),
    trainingId: m.trainingId,
    datasetId: m.datasetId,
    createdAt: m.createdAt,
    sizeBytes: m.sizeBytes,
    format: m.format,
  };
}

/** The registry record of a trainer-reported model; undefined fields of the proto stay absent. */
export function modelFromProto(p: modelV1.Model, object: StoredObjectJson, extra: { fitSeconds?: number; trainer?: string } = {}): ModelRecord {
  const cv = Object.keys(p.cvMetrics).length > 0 ? p.cvMetrics : undefined;
  const importance = Object.keys(p.featureImportance).length > 0 ? p.featureImportance : undefined;
  return {
    id: p.id,
    algorithm: algorithmName(p.algorithm) ?? "unknown",
    task: taskTypeName(p.task) ?? "classification",
    target: p.target,
    features: p.features.map((f) => ({ name: f.name, type: COLUMN_TYPE_NAME.get(f.type) ?? "number" })),
    ...(p.classes.length > 0 && { classes: p.classes }),
    params: p.params ?? {},
    metrics: p.metrics,
    ...(cv && { cvMetrics: Object.fromEntries(Object.entries(cv).map(([k, v]) => [k, { mean: v.mean, std: v.std, folds: v.folds }])) }),
    ...(importance && { featureImportance: importance }),
    ...(p.confusionMatrix && { confusionMatrix: { labels: p.confusionMatrix.labels, rows: p.confusionMatrix.rows.map((r) => r.counts) } }),
    ...(p.rocCurve.length > 0 && { rocCurve: p.rocCurve.map((c) => ({ positiveClass: c.positiveClass, auc: c.auc, points: c.points })) }),
    trainingId: p.trainingId,
    datasetId: p.datasetId,
    createdAt: p.createdAt,
    sizeBytes: p.sizeBytes,
    format: p.format,
    object,
    ...(extra.fitSeconds !== undefined && { fitSeconds: extra.fitSeconds }),
    ...(extra.trainer !== undefined && { trainer: extra.trainer }),
  };
}

export { COLUMN_TYPE as COLUMN_TYPE_ENUM };
