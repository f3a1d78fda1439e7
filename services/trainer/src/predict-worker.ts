// Runs one batch prediction in a worker thread: the model document and the dataset's Arrow
// batches in, one result Arrow IPC stream per batch out (row, prediction, and for classifiers a
// probability column per class), plus metrics over every row when the dataset holds the target.
import { parentPort, workerData } from "node:worker_threads";
import { Bool, Float64, tableToIPC, Table, Utf8, vectorFromArray, type Vector } from "apache-arrow";
import { batchesToColumns, type ColumnValues } from "@dml/data";
import { ALGORITHMS, classificationMetrics, labelText, loadModel, ModelFormatError, parseModel, regressionMetrics, type FeatureColumn, type Model } from "@dml/ml";

export interface PredictJob {
  modelBytes: Uint8Array;
  /** The dataset's batches, in order. */
  ipcs: Uint8Array[];
  /** The model's target column when the dataset holds it: metrics over every row. */
  target?: string;
}

export type PredictWorkerMessage =
  | { type: "progress"; fraction: number; message: string }
  | { type: "done"; results: Array<{ batchIndex: number; rows: number; ipc: Uint8Array }>; rows: number; metrics: Record<string, number> }
  | { type: "error"; kind: "input" | "internal" | "cancelled"; message: string };

/** A dataset column as the model's feature: numbers for numeric features, text for categorical ones. */
function asFeature(name: string, type: FeatureColumn["type"], values: ColumnValues): FeatureColumn {
  const numeric = type === "integer" || type === "number" || type === "boolean";
  if (values instanceof Float64Array) {
    if (numeric) return { name, type, values };
    return { name, type, values: Array.from(values, (v) => (Number.isNaN(v) ? null : String(v))) };
  }
  if (type === "boolean" || !numeric) return { name, type, values: values as FeatureColumn["values"] };
  // A numeric feature from a boolean column: 0/1.
  return { name, type, values: Float64Array.from(values as (boolean | null)[], (v) => (v === null ? NaN : v ? 1 : 0)) };
}

function labelVector(model: Model, labels: unknown[]): Vector {
  const classes = model.classes ?? [];
  if (classes.every((c) => typeof c === "number")) return vectorFromArray(labels as number[], new Float64());
  if (classes.every((c) => typeof c === "boolean")) return vectorFromArray(labels as boolean[], new Bool());
  return vectorFromArray(labels.map((l) => labelText(l as string)), new Utf8());
}

class MetricsAccumulator {
  private readonly yTrue: number[] = [];
  private readonly yPred: number[] = [];
  private readonly proba: number[] = [];
  private readonly classIndex: Map<string, number>;

  constructor(private readonly model: Model) {
    this.classIndex = new Map((model.classes ?? []).map((c, i) => [labelText(c), i]));
  }

  add(truth: ColumnValues, predictions: ArrayLike<unknown>, probabilities: Record<string, number>[] | undefined): void {
    for (let i = 0; i < predictions.length; i++) {
      const t = truth[i];
      if (t === null || t === undefined || (typeof t === "number" && Number.isNaN(t))) continue;
      if (this.model.task === "regression") {
        this.yTrue.push(t as number);
        this.yPred.push(predictions[i] as number);
        continue;
      }
      // Rows whose label the model never saw cannot be scored as a class: they are left out.
      const code = this.classIndex.get(labelText(t as string));
      if (code === undefined) continue;
      this.yTrue.push(code);
      this.yPred.push(this.classIndex.get(labelText(predictions[i] as string))!);
      if (probabilities) for (const c of this.model.classes!) this.proba.push(probabilities[i]![labelText(c)] ?? 0);
    }
  }

  result(): Record<string, number> {
    if (this.yTrue.length === 0) return {};
    const m =
      this.model.task === "regression"
        ? regressionMetrics(this.yTrue, this.yPred)
        : classificationMetrics(this.yTrue, this.yPred, this.model.classes!.length, this.proba.length ? this.proba : undefined);
    return Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => Number.isFinite(e[1])));
  }
}

function run(job: PredictJob): PredictWorkerMessage {
  const model = loadModel(parseModel(job.modelBytes), ALGORITHMS);
  const metrics = job.target !== undefined ? new MetricsAccumulator(model) : undefined;
  const results: Array<{ batchIndex: number; rows: number; ipc: Uint8Array }> = [];
  let row = 0;
  for (let b = 0; b < job.ipcs.length; b++) {
    const columns = new Map(batchesToColumns([job.ipcs[b]!]).map((c) => [c.name, c.values]));
    const features = model.features.map((f) => {
      const values = columns.get(f.name);
      if (!values) throw new InputError(`the dataset has no column ${f.name}, a feature of the model`);
      return asFeature(f.name, f.type, values);
    });
    const n = columns.size ? columns.values().next().value!.length : 0;
    const X = model.preprocessor.transform(features);
    const raw = model.estimator.predict(X);
    const fields: Record<string, Vector> = { row: vectorFromArray(Float64Array.from({ length: n }, (_, i) => row + i)) };
    let predictions: unknown[];
    let probabilities: Record<string, number>[] | undefined;
    if (model.task === "regression") {
      predictions = Array.from(raw);
      fields["prediction"] = vectorFromArray(Float64Array.from(raw));
    } else {
      const classes = model.classes!;
      predictions = Array.from(raw, (c) => classes[c]);
      fields["prediction"] = labelVector(model, predictions);
      const p = model.estimator.predictProba?.(X);
      if (p) {
        const k = classes.length;
        probabilities = [];
        classes.forEach((c, j) => (fields[`probability_${labelText(c)}`] = vectorFromArray(Float64Array.from({ length: n }, (_, i) => p[i * k + j]!))));
        if (metrics) for (let i = 0; i < n; i++) probabilities.push(Object.fromEntries(classes.map((c, j) => [labelText(c), p[i * k + j]!])));
      }
    }
    if (metrics && job.target !== undefined) metrics.add(columns.get(job.target)!, predictions, probabilities);
    results.push({ batchIndex: b, rows: n, ipc: tableToIPC(new Table(fields), "stream") });
    row += n;
    parentPort?.postMessage({ type: "progress", fraction: (b + 1) / job.ipcs.length, message: `batch ${b + 1}/${job.ipcs.length}` } satisfies PredictWorkerMessage);
  }
  return { type: "done", results, rows: row, metrics: metrics?.result() ?? {} };
}

class InputError extends Error {}

if (parentPort) {
  try {
    const done = run(workerData as PredictJob);
    parentPort.postMessage(done);
  } catch (err) {
    // A dataset that does not fit the model, or an unreadable model document, fails the same way on every attempt.
    const kind = err instanceof InputError || err instanceof ModelFormatError ? "input" : "internal";
    parentPort.postMessage({ type: "error", kind, message: (err as Error).message } satisfies PredictWorkerMessage);
  }
}
