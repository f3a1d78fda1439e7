// The worker threads that parse uploads: a pool (IngestThreads) and, on one of its workers, the
// parsing of one part of an upload (PartSession): the header line, then a run of records, parsed
// by a CsvIngest in the worker (ingest-worker.ts), which answers with the batches it completes
// and, at the end, what the part saw (an IngestPart, statistics included). ParallelIngest
// (parallel-ingest.ts) cuts uploads into parts and is what callers open.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { reviveError, type SerializedError } from "./errors.js";
import type { CsvIngestOptions, IngestBatch, IngestPart } from "./ingest.js";
import { ParallelIngest } from "./parallel-ingest.js";
import type { ColumnType } from "./schema.js";
import { ColumnStatsBuilder } from "./stats.js";

/** Bytes copied into one message to a worker. */
const POST_BYTES = 1 << 20;

/** CsvIngest's options that can cross to the worker (adoptChunks is always on there). */
export type ThreadedIngestOptions = Omit<CsvIngestOptions, "adoptChunks">;

export type ToIngestWorker =
  | { type: "start"; session: number; options: ThreadedIngestOptions; header: Uint8Array }
  | { type: "chunk"; session: number; bytes: Uint8Array }
  | { type: "end"; session: number }
  | { type: "reset" };

export type FromIngestWorker =
  | { type: "parsed"; session: number; bytes: number; batches: IngestBatch[] }
  | { type: "ended"; session: number; batches: IngestBatch[]; floors: (ColumnType | undefined)[] }
  | { type: "part"; session: number; part: IngestPart; header: string[] }
  | { type: "error"; session: number; error: SerializedError };

/** A pool of ingest worker threads, started on demand and kept for the next upload. */
export class IngestThreads {
  private readonly idle: Worker[] = [];
  private readonly idleExits = new Map<Worker, () => void>();
  private nextSession = 1;
  private closed = false;

  /** `workers`: parts of one upload parsed at once, and workers kept alive between uploads (default: the cores). */
  constructor(readonly workers = availableParallelism()) {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a positive integer, got ${workers}`);
  }

  /** Starts ingesting one upload. */
  open(options: ThreadedIngestOptions = {}): ParallelIngest {
    if (this.closed) throw new Error("IngestThreads is closed");
    return new ParallelIngest(this, options);
  }

  /** Terminates every idle worker; uploads still running keep theirs until they end. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }

  /** A session on a worker of the pool: the header first, then the part's bytes. */
  startPart(options: ThreadedIngestOptions, header: Uint8Array, onChange: () => void): PartSession {
    if (this.closed) throw new Error("IngestThreads is closed");
    const worker = this.takeIdle() ?? new Worker(new URL("./ingest-worker.js", import.meta.url));
    return new PartSession(worker, this.nextSession++, options, header, onChange, (w, healthy) => this.release(w, healthy));
  }

  /** The most recently idle worker, no longer watched for dying idle. */
  private takeIdle(): Worker | undefined {
    const worker = this.idle.pop();
    if (worker !== undefined) {
      worker.off("exit", this.idleExits.get(worker)!);
      this.idleExits.delete(worker);
    }
    return worker;
  }

  private release(worker: Worker, healthy: boolean): void {
    if (healthy && !this.closed && this.idle.length < this.workers) {
      worker.unref(); // an idle worker does not keep the process alive
      // One that dies while idle leaves the pool instead of being handed to the next upload,
      // which would then wait forever for its answers.
      const onExit = () => {
        const at = this.idle.indexOf(worker);
        if (at >= 0) this.idle.splice(at, 1);
        this.idleExits.delete(worker);
      };
      worker.once("exit", onExit);
      this.idleExits.set(worker, onExit);
      this.idle.push(worker);
    } else {
      void worker.terminate();
    }
  }
}

/** One part of an upload being parsed in a worker thread. */
export class PartSession {
  readonly received: IngestBatch[] = [];
  /** The worker sent the part's last batches. */
  allReceived = false;
  /** Per column, the type the part's records promoted it to, once allReceived. */
  floors: (ColumnType | undefined)[] = [];
  /** The part's bytes, kept (not copied) while `retain` is on, to parse it again with other floors. */
  readonly raw: Uint8Array[] = [];
  retain = true;
  result: { part: IngestPart; header: string[] } | undefined;
  failure: Error | undefined;
  /** Bytes posted and not yet parsed, past which push() waits (the rest of a file in one piece). */
  maxUnparsed = Infinity;
  private staging = new Uint8Array(POST_BYTES);
  private staged = 0;
  private unparsed = 0;
  private ending = false;
  /** The worker thread died or failed: it goes nowhere but away. */
  private broken = false;
  private released = false;

  constructor(
    private readonly worker: Worker,
    private readonly session: number,
    readonly options: ThreadedIngestOptions,
    readonly header: Uint8Array,
    private readonly onChange: () => void,
    private readonly onRelease: (worker: Worker, healthy: boolean) => void,
  ) {
    worker.ref();
    worker.on("message", this.onMessage);
    worker.on("error", this.onError);
    worker.on("exit", this.onExit);
    worker.postMessage({ type: "start", session, options, header } satisfies ToIngestWorker);
  }

  /** The part is parsed (or failed): its worker is free. */
  get done(): boolean {
    return this.result !== undefined || this.failure !== undefined;
  }

  /** Hands over more of the part; resolves at once unless more than maxUnparsed bytes wait. */
  async push(chunk: Uint8Array, waitFor: () => Promise<void>): Promise<void> {
    if (this.retain) this.raw.push(chunk);
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
    while (this.unparsed > this.maxUnparsed && !this.done) await waitFor();
  }

  /** No more bytes for this part. */
  end(): void {
    if (this.released) return;
    this.postStaged();
    this.ending = true;
    this.worker.postMessage({ type: "end", session: this.session } satisfies ToIngestWorker);
  }

  /** Drops the part: the worker forgets it and returns to the pool. A no-op once the part is done. */
  abort(): void {
    if (this.released) return;
    if (!this.broken) this.worker.postMessage({ type: "reset" } satisfies ToIngestWorker);
    this.release(!this.broken);
  }

  private postStaged(): void {
    if (this.staged === 0 || this.released) return;
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
        this.floors = m.floors;
        this.allReceived = true;
        break;
      case "part":
        m.part.stats = m.part.stats.map((s) => ColumnStatsBuilder.revive(s));
        this.result = { part: m.part, header: m.header };
        this.release(true);
        break;
      case "error":
        this.failure ??= reviveError(m.error);
        this.release(true);
        break;
    }
    this.onChange();
  };

  private broke(err: Error): void {
    if (this.released) return;
    this.broken = true;
    this.failure ??= err;
    this.release(false);
    this.onChange();
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
}
