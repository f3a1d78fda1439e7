// CsvIngest in a worker thread, so that parsing an upload (its costliest part) runs on another
// core than the one receiving the bytes and writing the batches to the stores.
//
// The caller's side mirrors CsvIngest, made asynchronous: push() the upload's chunks and end(),
// while another loop takes each batch with nextBatch() as soon as it is complete; then finish(). Chunks are copied into 1 MiB buffers that are moved
// (not copied again) to the worker; batches come back the same way. push() waits while more than
// MAX_UNPARSED_BYTES are with the worker, so memory stays bounded and a fast client is slowed to
// the parser's pace. Workers are kept in an IngestThreads pool and reused across uploads.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { reviveError, type SerializedError } from "./errors.js";
import type { CsvIngestOptions, IngestBatch, IngestResult } from "./ingest.js";

/** Bytes copied into one message to the worker. */
const POST_BYTES = 1 << 20;
/** Bytes posted to the worker and not yet parsed, past which push() waits. */
const MAX_UNPARSED_BYTES = 4 * POST_BYTES;

/** CsvIngest's options that can cross to the worker (adoptChunks is always on there). */
export type ThreadedIngestOptions = Omit<CsvIngestOptions, "adoptChunks">;

export type ToIngestWorker =
  | { type: "start"; session: number; options: ThreadedIngestOptions }
  | { type: "chunk"; session: number; bytes: Uint8Array }
  | { type: "end"; session: number }
  | { type: "reset" };

export type FromIngestWorker =
  | { type: "parsed"; session: number; bytes: number; batches: IngestBatch[] }
  | { type: "ended"; session: number; batches: IngestBatch[] }
  | { type: "result"; session: number; result: IngestResult }
  | { type: "error"; session: number; error: SerializedError };

/** A pool of ingest worker threads, started on demand and kept for the next upload. */
export class IngestThreads {
  private readonly idle: Worker[] = [];
  private nextSession = 1;
  private closed = false;

  /** `keepIdle`: workers kept alive between uploads (default: the machine's cores). */
  constructor(private readonly keepIdle = availableParallelism()) {}

  /** Starts ingesting one upload in a worker of the pool. */
  open(options: ThreadedIngestOptions = {}): ThreadedIngest {
    if (this.closed) throw new Error("IngestThreads is closed");
    const worker = this.idle.pop() ?? new Worker(new URL("./ingest-worker.js", import.meta.url));
    return new ThreadedIngest(worker, this.nextSession++, options, (w, healthy) => this.release(w, healthy));
  }

  /** Terminates every idle worker; uploads still running keep theirs until they end. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }

  private release(worker: Worker, healthy: boolean): void {
    if (healthy && !this.closed && this.idle.length < this.keepIdle) {
      worker.unref(); // an idle worker does not keep the process alive
      this.idle.push(worker);
    } else {
      void worker.terminate();
    }
  }
}

/** One upload being ingested in a worker thread. */
export class ThreadedIngest {
  private received: IngestBatch[] = [];
  /** The worker sent the last batches: nextBatch() ends once `received` is empty. */
  private allReceived = false;
  private staging = new Uint8Array(POST_BYTES);
  private staged = 0;
  private unparsed = 0;
  private ending = false;
  private result: IngestResult | undefined;
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];
  /** The worker thread died or failed: it goes nowhere but away. */
  private broken = false;
  private released = false;

  constructor(
    private readonly worker: Worker,
    private readonly session: number,
    options: ThreadedIngestOptions,
    private readonly onRelease: (worker: Worker, healthy: boolean) => void,
  ) {
    worker.ref();
    worker.on("message", this.onMessage);
    worker.on("error", this.onError);
    worker.on("exit", this.onExit);
    worker.postMessage({ type: "start", session, options } satisfies ToIngestWorker);
  }

  /** Hands over a chunk of the upload; waits while the worker is too far behind. */
  async push(chunk: Uint8Array): Promise<void> {
    this.throwIfFailed();
    let at = 0;
    while (at < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - at, POST_BYTES - this.staged);
      this.staging.set(chunk.subarray(at, at + n), this.staged);
      this.staged += n;
      at += n;
      if (this.staged === POST_BYTES) this.postStaged();
    }
    // An idle worker gets what there is now (a slow client's rows are parsed as they come); a
    // busy one gets it, with whatever arrives meanwhile, when it reports the last chunk parsed.
    if (this.unparsed === 0) this.postStaged();
    while (this.unparsed > MAX_UNPARSED_BYTES && this.failure === undefined) await this.changed();
    this.throwIfFailed();
  }

  /** No more bytes: the worker completes the last batches (nextBatch) and then the statistics (finish). */
  end(): void {
    this.throwIfFailed();
    this.postStaged();
    this.ending = true;
    this.worker.postMessage({ type: "end", session: this.session } satisfies ToIngestWorker);
  }

  /**
   * The next completed batch, in order, as soon as the worker has it; undefined once end() was
   * called and every batch was returned. Meant for a loop that runs alongside the push() loop.
   */
  async nextBatch(): Promise<IngestBatch | undefined> {
    for (;;) {
      this.throwIfFailed();
      const batch = this.received.shift();
      if (batch !== undefined) return batch;
      if (this.allReceived) return undefined;
      await this.changed();
    }
  }

  /** The schema, statistics and stale batches, once end() was called. Returns the worker to the pool. */
  async finish(): Promise<IngestResult> {
    while (this.result === undefined && this.failure === undefined) await this.changed();
    this.throwIfFailed();
    this.release(true);
    return this.result!;
  }

  /**
   * Abandons the upload (the caller or the CSV failed): pending calls reject, and the worker drops
   * the upload and returns to the pool. A no-op once finish() returned; call it on every failure path.
   */
  abort(): void {
    if (this.released) return;
    this.failure ??= new Error("the upload was abandoned");
    this.notify();
    if (!this.broken) this.worker.postMessage({ type: "reset" } satisfies ToIngestWorker);
    this.release(!this.broken);
  }

  private postStaged(): void {
    if (this.staged === 0) return;
    const full = this.staged === POST_BYTES;
    const bytes = full ? this.staging : this.staging.slice(0, this.staged);
    this.unparsed += bytes.byteLength; // before the transfer detaches `bytes`
    this.worker.postMessage({ type: "chunk", session: this.session, bytes } satisfies ToIngestWorker, [bytes.buffer as ArrayBuffer]);
    if (full) this.staging = new Uint8Array(POST_BYTES);
    this.staged = 0;
  }

  private readonly onError = (err: Error): void => this.broke(new Error(`the ingest worker failed: ${err.message}`));
  private readonly onExit = (code: number): void => this.broke(new Error(`the ingest worker exited (code ${code})`));

  private readonly onMessage = (m: FromIngestWorker): void => {
    if (m.session !== this.session) return;
    switch (m.type) {
      case "parsed":
        this.unparsed -= m.bytes;
        this.received.push(...m.batches);
        if (this.unparsed === 0 && !this.ending) this.postStaged();
        break;
      case "ended":
        this.received.push(...m.batches);
        this.allReceived = true;
        break;
      case "result":
        this.result = m.result;
        break;
      case "error":
        this.failure ??= reviveError(m.error);
        break;
    }
    this.notify();
  };

  private broke(err: Error): void {
    if (this.released) return;
    this.broken = true;
    this.failure ??= err;
    this.notify();
    this.release(false);
  }

  /**
   * Detaches this session's listeners from the worker and hands it back. Only these: with
   * removeAllListeners() a reused worker's messages never arrived again (seen on Node 20).
   */
  private release(healthy: boolean): void {
    if (this.released) return;
    this.released = true;
    this.worker.off("message", this.onMessage);
    this.worker.off("error", this.onError);
    this.worker.off("exit", this.onExit);
    this.onRelease(this.worker, healthy);
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
