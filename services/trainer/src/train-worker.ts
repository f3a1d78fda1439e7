// Runs one training in a worker thread, so the trainer's event loop stays free for its work
// stream, heartbeats and etcd lease while the fit uses a core. Input: the dataset's Arrow batches
// and the task; output: progress messages, then the model document's bytes and its summary.
import { parentPort, workerData } from "node:worker_threads";
import { batchesToColumns } from "@dml/data";
import { ALGORITHMS, evaluateCvFold, FitCancelledError, modelBytes, TrainInputError, trainModel, type AlgorithmName, type CvMetric, type FeatureColumn, type ModelDocument, type Task } from "@dml/ml";

export interface TrainJob {
  ipcs: Uint8Array[];
  columns: Array<{ name: string; type: FeatureColumn["type"] }>;
  target: string;
  task: Task;
  algorithm: AlgorithmName;
  params: Record<string, unknown>;
  testFraction: number;
  cvFolds: number;
  seed: number;
  /** A fold task: score this 0-based CV fold only. */
  fold?: number;
  /** The final task of a model whose folds ran as tasks: their merged metrics. */
  cvMetrics?: Record<string, CvMetric>;
}

/** The model document without its two big parts, for the registry entry. */
export type ModelSummary = Omit<ModelDocument, "estimator" | "preprocessing">;

export type WorkerMessage =
  | { type: "progress"; fraction: number; message: string }
  | { type: "done"; bytes: Uint8Array; summary: ModelSummary; fitSeconds: number }
  | { type: "fold"; metrics: Record<string, number>; fitSeconds: number }
  | { type: "error"; kind: "input" | "cancelled" | "internal"; message: string };

/**
 * Fits report progress at every checkpoint (about every 20 ms); the trainer forwards the latest
 * every DML_PROGRESS_INTERVAL_MS, so posting more than every 100 ms only wakes its main thread.
 */
function throttled(post: (p: { fraction: number; message: string }) => void): (p: { fraction: number; message: string }) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (now - last < 100 && p.fraction < 1) return;
    last = now;
    post(p);
  };
}

async function run(job: TrainJob, signal: AbortSignal): Promise<WorkerMessage> {
  const decoded = batchesToColumns(job.ipcs);
  job.ipcs.length = 0;
  const types = new Map(job.columns.map((c) => [c.name, c.type]));
  const columns: FeatureColumn[] = decoded.map((c) => ({ name: c.name, type: types.get(c.name) ?? "number", values: c.values }));
  const started = performance.now();
  const options = {
    columns,
    target: job.target,
    task: job.task,
    algorithm: job.algorithm,
    params: job.params,
    testFraction: job.testFraction,
    cvFolds: job.cvFolds,
    ...(job.cvMetrics && { cvMetrics: job.cvMetrics }),
    seed: job.seed,
    signal,
    onProgress: throttled((p: { fraction: number; message: string }) => parentPort!.postMessage({ type: "progress", fraction: p.fraction, message: p.message } satisfies WorkerMessage)),
  };
  if (job.fold !== undefined) {
    const metrics = await evaluateCvFold(options, job.fold, ALGORITHMS);
    const defined = Object.fromEntries(Object.entries(metrics).filter((e): e is [string, number] => Number.isFinite(e[1])));
    return { type: "fold", metrics: defined, fitSeconds: (performance.now() - started) / 1000 };
  }
  const { document } = await trainModel(options, ALGORITHMS);
  const fitSeconds = (performance.now() - started) / 1000;
  const bytes = await modelBytes(document);
  const { estimator: _e, preprocessing: _p, ...summary } = document;
  // Transfer needs a buffer of its own (a small Buffer may share Node's pool).
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
  return { type: "done", bytes: own, summary, fitSeconds };
}

if (parentPort) {
  const controller = new AbortController();
  parentPort.on("message", (m: { type: string }) => m.type === "cancel" && controller.abort());
  run(workerData as TrainJob, controller.signal).then(
    (done) => parentPort!.postMessage(done, done.type === "done" ? [done.bytes.buffer as ArrayBuffer] : []),
    (err: unknown) => {
      const kind = err instanceof FitCancelledError ? "cancelled" : err instanceof TrainInputError ? "input" : "internal";
      parentPort!.postMessage({ type: "error", kind, message: (err as Error).message ?? String(err) } satisfies WorkerMessage);
    },
  );
}
