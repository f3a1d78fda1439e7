// Runs the training tasks the leader assigns: load the dataset's Arrow batches from the stores,
// fit and evaluate in a worker thread, write the model document to R stores, and report the
// outcome — progress while it works, the completion exactly as the attempt that earned it.
import { Worker } from "node:worker_threads";
import { ClientError, Status } from "nice-grpc";
import { modelV1, storeV1, trainerV1, workV1 } from "@dml/proto";
import {
  algorithmName,
  BatchFetcher,
  COLUMN_TYPE_ENUM,
  DatasetRepository,
  modelKey,
  taskTypeName,
  type ModelRecord,
  type DatasetManifest,
} from "@dml/catalog";
import { computeChecksum, placeReplicas, type Logger, type NodeDirectory, type StoreClients } from "@dml/runtime";
import type { AlgorithmName } from "@dml/ml";
import type { Etcd3 } from "etcd3";
import type { LeaderLink } from "./leader-link.js";
import type { ModelSummary, TrainJob, WorkerMessage } from "./train-worker.js";
import type { PredictJob, PredictWorkerMessage } from "./predict-worker.js";

export interface TaskRunnerDeps {
  nodeId: string;
  etcd: Etcd3;
  directory: NodeDirectory;
  stores: StoreClients;
  link: LeaderLink;
  replication: number;
  progressIntervalMs: number;
  log: Logger;
  /** Sends progress on the work stream (dropped while it is down; the next report carries the latest). */
  sendProgress: (p: workV1.TaskProgress) => void;
  /** The number of running attempts changed. */
  onBusyChange?: (running: number) => void;
}

type Outcome = NonNullable<workV1.CompleteTaskRequest["outcome"]>;

/** Why an attempt stops early: the training was cancelled, or the attempt is no longer current. */
class StopRequest {
  constructor(readonly reason: string) {}
}

interface Attempt {
  taskId: string;
  attempt: number;
  kind: workV1.TaskKind;
  startedAt: string;
  progress: number;
  message: string;
  controller: AbortController;
  worker?: Worker;
  stop?: StopRequest;
}

const HARD_STOP_MS = 1500;
const DATASET_CACHE_BYTES = 256 * 1024 * 1024;
const COMPLETE_RETRY_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TaskRunner {
  private readonly attempts = new Map<string, Attempt>();
  private readonly fetcher: BatchFetcher;
  private readonly datasets: DatasetRepository;

  constructor(private readonly deps: TaskRunnerDeps) {
    // Cached: a training's fold tasks and final task (and repeated predictions) read the same
    // batches on the same trainer. Objects are immutable, and workers get copies, never the cached bytes.
    this.fetcher = new BatchFetcher({ directory: deps.directory, stores: deps.stores, log: deps.log }, DATASET_CACHE_BYTES);
    this.datasets = new DatasetRepository(deps.etcd);
  }

  /** What runs now, for Hello and heartbeats. */
  running(): workV1.RunningTask[] {
    return [...this.attempts.values()].map((a) => ({ taskId: a.taskId, attempt: a.attempt, progress: a.progress }));
  }

  /** What runs now, for GetTrainerStatus. */
  status(): trainerV1.TrainerTask[] {
    return [...this.attempts.values()].map((a) => ({ taskId: a.taskId, attempt: a.attempt, kind: a.kind, progress: a.progress, progressMessage: a.message, startedAt: a.startedAt }));
  }

  get busy(): number {
    return this.attempts.size;
  }

  start(assignment: workV1.TaskAssignment): void {
    const current = this.attempts.get(assignment.taskId);
    if (current?.attempt === assignment.attempt) return; // a repeated assignment
    if (current) this.cancel(current.taskId, current.attempt, `superseded by attempt ${assignment.attempt}`);
    const spec = assignment.spec;
    if (!spec) {
      void this.complete(assignment.taskId, assignment.attempt, { $case: "failure", failure: { error: "assignment without a task spec", retryable: false } });
      return;
    }
    const attempt: Attempt = {
      taskId: assignment.taskId,
      attempt: assignment.attempt,
      kind: assignment.kind,
      startedAt: new Date().toISOString(),
      progress: 0,
      message: "starting",
      controller: new AbortController(),
    };
    this.attempts.set(assignment.taskId, attempt);
    this.deps.onBusyChange?.(this.attempts.size);
    void this.run(attempt, spec).finally(() => {
      if (this.attempts.get(attempt.taskId) === attempt) this.attempts.delete(attempt.taskId);
      this.deps.onBusyChange?.(this.attempts.size);
    });
  }

  /** Stops an attempt (cancelled training, or no longer current). */
  cancel(taskId: string, attempt: number, reason: string): void {
    const a = this.attempts.get(taskId);
    if (!a || a.attempt !== attempt || a.stop) return;
    this.deps.log.info({ task: taskId, attempt, reason }, "stopping attempt");
    a.stop = new StopRequest(reason);
    a.controller.abort();
    a.worker?.postMessage({ type: "cancel" });
    const worker = a.worker;
    if (worker) setTimeout(() => void worker.terminate(), HARD_STOP_MS).unref();
  }

  /** Stops everything (shutdown); the leader requeues what did not finish. */
  async stopAll(): Promise<void> {
    for (const a of this.attempts.values()) this.cancel(a.taskId, a.attempt, "trainer shutting down");
    const deadline = Date.now() + HARD_STOP_MS + 500;
    while (this.attempts.size > 0 && Date.now() < deadline) await sleep(50);
  }

  private async run(a: Attempt, spec: NonNullable<workV1.TaskAssignment["spec"]>): Promise<void> {
    const job = spec.$case === "train" ? spec.train.trainingId : spec.predict.predictionId;
    const log = this.deps.log.child({ task: a.taskId, attempt: a.attempt, job });
    const reporter = setInterval(() => this.deps.sendProgress({ taskId: a.taskId, attempt: a.attempt, progress: a.progress, message: a.message }), this.deps.progressIntervalMs);
    let outcome: Outcome;
    try {
      outcome = spec.$case === "train" ? await this.train(a, spec.train, log) : await this.predict(a, spec.predict, log);
    } catch (err) {
      outcome = { $case: "failure", failure: { error: `trainer ${this.deps.nodeId}: ${(err as Error).message}`, retryable: true } };
    } finally {
      clearInterval(reporter);
    }
    if (a.stop && outcome.$case !== "train" && outcome.$case !== "predict") outcome = { $case: "cancelled", cancelled: {} };
    log.info({ outcome: outcome.$case, ...(outcome.$case === "failure" && { error: outcome.failure.error }) }, "attempt finished");
    await this.complete(a.taskId, a.attempt, outcome);
  }

  private async train(a: Attempt, spec: workV1.TrainTaskSpec, log: Logger): Promise<Outcome> {
    const algorithm = algorithmName(spec.algorithm);
    const task = taskTypeName(spec.task);
    if (!algorithm || !task) return { $case: "failure", failure: { error: "task spec has no valid algorithm or task type", retryable: false } };
    const manifest = await this.datasets.get(spec.datasetId);
    if (!manifest) return { $case: "failure", failure: { error: `dataset ${spec.datasetId} not found (deleted?)`, retryable: false } };
    const ipcs = await this.loadBatches(a, spec.datasetId, manifest);
    if (a.stop) return { $case: "cancelled", cancelled: {} };
    const job: TrainJob = {
      ipcs,
      columns: manifest.columns.map((c) => ({ name: c.name, type: c.type })),
      target: spec.target,
      task,
      algorithm: algorithm as AlgorithmName,
      params: spec.params ?? {},
      testFraction: spec.testFraction,
      cvFolds: spec.cvFolds,
      seed: spec.seed,
      ...(spec.cvFold !== undefined && { fold: spec.cvFold }),
      ...(spec.foldTasks && { cvMetrics: spec.cvMetrics }),
    };
    const result = await this.fitInWorker(a, job);
    if (result.type === "error") {
      if (result.kind === "cancelled") return { $case: "cancelled", cancelled: {} };
      return { $case: "failure", failure: { error: result.message, retryable: result.kind === "internal" } };
    }
    if (result.type === "fold") return { $case: "train", train: { foldMetrics: result.metrics, fitSeconds: result.fitSeconds } };
    a.message = "writing the model";
    const object = await this.writeObject(spec.modelObjectKey, result.bytes, storeV1.ObjectKind.OBJECT_KIND_MODEL, log);
    return {
      $case: "train",
      train: { model: this.modelOf(spec, result.summary, result.bytes.byteLength), modelObject: object, foldMetrics: {}, fitSeconds: result.fitSeconds },
    };
  }

  private async predict(a: Attempt, spec: workV1.PredictTaskSpec, log: Logger): Promise<Outcome> {
    const raw = await this.deps.etcd.get(modelKey(spec.modelId)).string();
    if (!raw) return { $case: "failure", failure: { error: `model ${spec.modelId} not found (deleted?)`, retryable: false } };
    const model = JSON.parse(raw) as ModelRecord;
    const manifest = await this.datasets.get(spec.datasetId);
    if (!manifest) return { $case: "failure", failure: { error: `dataset ${spec.datasetId} not found (deleted?)`, retryable: false } };
    a.message = "loading the model";
    const modelBytes = await this.fetcher.fetchObject({ ...model.object, kind: storeV1.ObjectKind.OBJECT_KIND_MODEL, what: `model ${spec.modelId}` });
    const ipcs = await this.loadBatches(a, spec.datasetId, manifest);
    if (a.stop) return { $case: "cancelled", cancelled: {} };
    const target = manifest.columns.some((c) => c.name === model.target) ? model.target : undefined;
    const job: PredictJob = { modelBytes, ipcs, ...(target !== undefined && { target }) };
    const result = await this.inWorker<PredictWorkerMessage>(a, "./predict-worker.js", job);
    if (result.type === "error") {
      if (result.kind === "cancelled") return { $case: "cancelled", cancelled: {} };
      return { $case: "failure", failure: { error: result.message, retryable: result.kind === "internal" } };
    }
    a.message = "writing results";
    const results: workV1.PredictionResultObject[] = [];
    for (const r of result.results) {
      const key = `${spec.resultKeyPrefix}${String(r.batchIndex).padStart(6, "0")}.arrow`;
      const object = await this.writeObject(key, r.ipc, storeV1.ObjectKind.OBJECT_KIND_RESULT, log);
      results.push({ batchIndex: r.batchIndex, rows: r.rows, object });
    }
    return { $case: "predict", predict: { results, rows: result.rows, metrics: result.metrics } };
  }

  private async loadBatches(a: Attempt, datasetId: string, manifest: DatasetManifest): Promise<Uint8Array[]> {
    const out: Uint8Array[] = new Array(manifest.batches.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < manifest.batches.length && !a.stop) {
        const i = next++;
        out[i] = await this.fetcher.fetch(datasetId, manifest.batches[i]!);
        a.message = `loading data ${++done}/${manifest.batches.length} batches`;
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    return out;
  }

  private fitInWorker(a: Attempt, job: TrainJob): Promise<Extract<WorkerMessage, { type: "done" | "fold" | "error" }>> {
    return this.inWorker(a, "./train-worker.js", job);
  }

  /** Runs a worker script for the attempt: progress updates the attempt, the first other message is the result. */
  private inWorker<M extends { type: string }>(a: Attempt, script: string, data: unknown): Promise<Exclude<M, { type: "progress" }>> {
    type Result = Exclude<M, { type: "progress" }>;
    return new Promise((resolve) => {
      const worker = new Worker(new URL(script, import.meta.url), { workerData: data });
      a.worker = worker;
      let settled = false;
      const settle = (m: Result) => {
        if (settled) return;
        settled = true;
        a.worker = undefined;
        resolve(m);
        void worker.terminate();
      };
      worker.on("message", (m: M | { type: "progress"; fraction: number; message: string }) => {
        if (m.type === "progress") {
          const p = m as { fraction: number; message: string };
          a.progress = Math.max(a.progress, p.fraction);
          a.message = p.message;
        } else settle(m as Result);
      });
      const failed = (message: string) => ({ type: "error", kind: a.stop ? "cancelled" : "internal", message }) as unknown as Result;
      worker.on("error", (err) => settle(failed(`task crashed: ${err.message}`)));
      worker.on("exit", (code) => settle(failed(`task worker exited (code ${code})`)));
      if (a.stop) this.cancel(a.taskId, a.attempt, a.stop.reason);
    });
  }

  /** Writes an object to `replication` live stores (rendezvous order, skipping failures). */
  private async writeObject(key: string, bytes: Uint8Array, kind: storeV1.ObjectKind, log: Logger): Promise<workV1.StoredObject> {
    const live = this.deps.directory.live("store").map((n) => ({ id: n.id, address: n.address }));
    const want = Math.min(this.deps.replication, live.length);
    if (want === 0) throw new Error("no live store to write the model to");
    const ranked = placeReplicas(key, live, live.length);
    const checksum = computeChecksum(bytes);
    const written: string[] = [];
    let next = 0;
    const writeOne = async (): Promise<void> => {
      while (written.length < want && next < ranked.length) {
        const store = ranked[next++]!;
        try {
          await this.deps.stores.putObject(store.address, { key, kind, data: bytes, checksum }, { signal: AbortSignal.timeout(30_000) });
          written.push(store.id);
          return;
        } catch (err) {
          log.warn({ store: store.id, key, err: (err as Error).message }, "object write failed; trying another store");
        }
      }
    };
    await Promise.all(Array.from({ length: want }, writeOne));
    if (written.length < want) throw new Error(`${key} written to ${written.length} of ${want} stores`);
    return { key, size: bytes.byteLength, checksum, replicaNodeIds: written };
  }

  private modelOf(spec: workV1.TrainTaskSpec, s: ModelSummary, size: number): modelV1.Model {
    const defined = (m: Record<string, number | undefined>) => Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => e[1] !== undefined));
    return {
      id: spec.modelId,
      algorithm: spec.algorithm,
      task: spec.task,
      target: spec.target,
      features: s.features.map((f) => ({ name: f.name, type: COLUMN_TYPE_ENUM[f.type] ?? 0 })),
      classes: s.classes ?? [],
      params: s.params,
      metrics: defined(s.metrics),
      cvMetrics: s.cvMetrics ?? {},
      featureImportance: s.featureImportance ?? {},
      confusionMatrix: s.confusionMatrix && { labels: s.confusionMatrix.labels, rows: s.confusionMatrix.rows.map((counts) => ({ counts })) },
      rocCurve: s.rocCurve ?? [],
      trainingId: spec.trainingId,
      datasetId: spec.datasetId,
      createdAt: s.createdAt,
      sizeBytes: size,
      format: `${s.format}/${s.version}`,
    };
  }

  /** Reports the outcome to whoever leads now, retrying through leader changes; a fenced-out attempt is dropped. */
  private async complete(taskId: string, attempt: number, outcome: Outcome): Promise<void> {
    const deadline = Date.now() + COMPLETE_RETRY_MS;
    const req: workV1.CompleteTaskRequest = { nodeId: this.deps.nodeId, taskId, attempt, outcome };
    for (let wait = 200; ; wait = Math.min(2000, wait * 2)) {
      try {
        const { client } = await this.deps.link.leader();
        const res = await client.completeTask(req, { signal: AbortSignal.timeout(10_000) });
        this.deps.log.info({ task: taskId, attempt, outcome: outcome.$case, duplicate: res.duplicate }, "completion recorded");
        return;
      } catch (err) {
        const code = err instanceof ClientError ? err.code : undefined;
        if (code === Status.ABORTED || code === Status.NOT_FOUND || code === Status.INVALID_ARGUMENT) {
          this.deps.log.warn({ task: taskId, attempt, err: (err as Error).message }, "completion rejected; result dropped");
          return;
        }
        if (Date.now() > deadline) {
          this.deps.log.error({ task: taskId, attempt, err: (err as Error).message }, "could not report completion; the leader will requeue the task");
          return;
        }
        await sleep(wait);
      }
    }
  }
}
