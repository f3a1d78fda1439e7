// Registry models as the gateway returns them, and how the CLI shows them: the list table and
// the detail view (metadata, metrics, CV metrics, confusion matrix, top importances, ROC AUCs).
import { formatBytes } from "./progress.js";
import { formatTable } from "./table.js";
import { formatMetric, type CvMetric } from "./training-view.js";

export interface Model {
  id: string;
  algorithm: string;
  task: "classification" | "regression";
  target: string;
  features: Array<{ name: string; type: string }>;
  classes?: Array<string | number | boolean>;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  cvMetrics?: Record<string, CvMetric>;
  featureImportance?: Record<string, number>;
  confusionMatrix?: { labels: string[]; rows: number[][] };
  rocCurve?: Array<{ positiveClass: string; auc: number }>;
  trainingId: string;
  datasetId: string;
  createdAt: string;
  sizeBytes: number;
  format: string;
  replicas: number;
  trainer?: string;
  fitSeconds?: number;
}

/** The metric models of a task are compared by: accuracy or r2. */
export const primaryMetricName = (m: Pick<Model, "task">) => (m.task === "regression" ? "r2" : "accuracy");

export function formatModelList(models: readonly Model[]): string[] {
  return formatTable(
    ["ID", "ALGORITHM", "TASK", "METRIC", "TRAINING", "CREATED", "SIZE"],
    models.map((m) => {
      const metric = primaryMetricName(m);
      return [m.id, m.algorithm, m.task, `${metric} ${formatMetric(m.metrics[metric])}`, m.trainingId, m.createdAt, formatBytes(m.sizeBytes)];
    }),
  );
}

const indent = (lines: string[]) => lines.map((l) => `  ${l}`);

export function formatModel(m: Model, topFeatures = 10): string[] {
  const lines = [
    `${m.id}  ${m.algorithm} ${m.task} of ${m.target}`,
    `  training ${m.trainingId}, dataset ${m.datasetId}, created ${m.createdAt}`,
    `  ${formatBytes(m.sizeBytes)} (${m.format}), replicas ${m.replicas}${m.trainer ? `, trained on ${m.trainer}` : ""}${m.fitSeconds !== undefined ? ` in ${m.fitSeconds.toFixed(2)} s` : ""}`,
    `  features (${m.features.length}): ${m.features.map((f) => `${f.name}:${f.type}`).join(", ")}`,
  ];
  if (m.classes?.length) lines.push(`  classes: ${m.classes.map(String).join(", ")}`);
  if (Object.keys(m.params).length > 0) lines.push(`  params: ${JSON.stringify(m.params)}`);
  lines.push("", "metrics (test split):", ...indent(formatTable(["METRIC", "VALUE"], Object.entries(m.metrics).map(([k, v]) => [k, formatMetric(v)]))));
  if (m.cvMetrics && Object.keys(m.cvMetrics).length > 0) {
    const rows = Object.entries(m.cvMetrics).map(([k, c]) => [k, formatMetric(c.mean), formatMetric(c.std), c.folds.map(formatMetric).join(" ")]);
    lines.push("", "cross-validation:", ...indent(formatTable(["METRIC", "MEAN", "STD", "FOLDS"], rows)));
  }
  if (m.confusionMatrix) {
    const { labels, rows } = m.confusionMatrix;
    lines.push("", "confusion matrix (rows: actual, columns: predicted):", ...indent(formatTable(["", ...labels], rows.map((r, i) => [labels[i] ?? "", ...r.map(String)]))));
  }
  if (m.featureImportance && Object.keys(m.featureImportance).length > 0) {
    const top = Object.entries(m.featureImportance)
      .sort((a, b) => b[1] - a[1])
      .slice(0, topFeatures);
    lines.push("", `feature importance (top ${top.length}):`, ...indent(formatTable(["FEATURE", "IMPORTANCE"], top.map(([k, v]) => [k, formatMetric(v)]))));
  }
  if (m.rocCurve?.length) {
    lines.push("", "ROC AUC:", ...indent(formatTable(["CLASS", "AUC"], m.rocCurve.map((c) => [c.positiveClass, formatMetric(c.auc)]))));
  }
  return lines;
}
