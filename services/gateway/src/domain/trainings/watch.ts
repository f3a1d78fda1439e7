// A training's event stream: a snapshot, then one event per etcd revision that touched the
// training's prefix, until the training ends. Revisions make it resumable: a client passes the
// last one it saw and gets every later change.
import type { Etcd3, IWatchResponse, Watcher } from "etcd3";
import { DmlError } from "@dml/runtime";
import {
  isTerminal,
  TrainingAccumulator,
  trainingPrefix,
  trainingView,
  type TrainingRepository,
  type TrainingSnapshot,
  type TrainingView,
} from "@dml/catalog";

export type TrainingEventKind = "snapshot" | "progress" | "state";

export interface TrainingEvent {
  /** etcd revision of the change (of the read, for a snapshot); strictly increasing in a stream. */
  revision: number;
  kind: TrainingEventKind;
  /** The model whose task changed, when exactly one did. */
  modelId?: string;
  training: TrainingView;
}

export interface TrainingWatch extends AsyncIterable<TrainingEvent> {
  /** Resumed from a revision at which the training had already ended: the client saw the end. */
  readonly resumedAfterEnd: boolean;
}

interface Change {
  revision: number;
  key: string;
  /** undefined for a delete. */
  value: string | undefined;
}

/** etcd answers OUT_OF_RANGE for reads before the compaction point or past the current revision. */
function isUnreadableRevision(err: unknown): boolean {
  const message = err instanceof Error ? err.message : "";
  return /compacted|future revision/.test(message);
}

/** Where the stream starts: the snapshot to follow from, and whether to show it to the client. */
async function startPoint(repo: TrainingRepository, id: string, fromRevision?: number) {
  const fresh = async (): Promise<TrainingSnapshot> => {
    const snap = await repo.get(id);
    if (!snap) throw new DmlError("NOT_FOUND", `training ${id} not found`, { trainingId: id });
    return snap;
  };
  if (fromRevision === undefined) return { snapshot: await fresh(), emit: true, resumedAfterEnd: false };
  let past: TrainingSnapshot | undefined;
  try {
    past = await repo.get(id, fromRevision);
  } catch (err) {
    if (!isUnreadableRevision(err)) throw err;
  }
  // Compacted away, or before the training existed: the client gets the current state instead.
  if (!past) return { snapshot: await fresh(), emit: true, resumedAfterEnd: false };
  // Already over at the resume point: nothing will change any more, so a snapshot ends the stream.
  if (isTerminal(trainingView(past.spec, past.tasks).state)) return { snapshot: await fresh(), emit: true, resumedAfterEnd: true };
  return { snapshot: past, emit: false, resumedAfterEnd: false };
}

/** "state" when the spec (cancel) or a task's state or attempt changed; "progress" otherwise. */
function classify(acc: TrainingAccumulator, changes: readonly Change[]): { kind: TrainingEventKind; modelId?: string } {
  let state = false;
  const models = new Set<string>();
  for (const c of changes) {
    if (c.key.endsWith("/spec")) {
      state = true;
      acc.apply(c.key, c.value);
      continue;
    }
    const taskId = c.key.slice(c.key.lastIndexOf("/") + 1);
    const before = acc.tasks.get(taskId);
    acc.apply(c.key, c.value);
    const after = acc.tasks.get(taskId);
    models.add(after?.modelId ?? before?.modelId ?? taskId);
    if (before?.state !== after?.state || before?.attempt !== after?.attempt) state = true;
  }
  return { kind: state ? "state" : "progress", ...(models.size === 1 && { modelId: [...models][0]! }) };
}

/** Follows a prefix from a revision, handing out changes grouped by revision. */
class ChangeFeed {
  private readonly pending: Change[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private watcher: Watcher | undefined;

  private readonly onAbort = () => this.wake?.();

  constructor(private readonly signal?: AbortSignal) {
    signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  async open(etcd: Etcd3, prefix: string, fromRevision: number): Promise<void> {
    this.watcher = await etcd.watch().prefix(prefix).startRevision(String(fromRevision)).create();
    this.watcher.on("data", (res: IWatchResponse) => {
      for (const ev of res.events) {
        const value = ev.type === "Delete" ? undefined : ev.kv.value.toString();
        this.pending.push({ revision: Number(ev.kv.mod_revision), key: ev.kv.key.toString(), value });
      }
      if (res.events.length > 0) this.wake?.();
    });
    this.watcher.on("error", (err: Error) => {
      this.failure = err;
      this.wake?.();
    });
  }

  /** The changes of the next revision; undefined once the signal aborted. */
  async next(): Promise<Change[] | undefined> {
    while (this.pending.length === 0 && !this.failure && !this.signal?.aborted) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (this.signal?.aborted) return undefined;
    if (this.pending.length === 0 && this.failure) throw this.failure;
    const revision = this.pending[0]!.revision;
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.revision === revision) n++;
    return this.pending.splice(0, n);
  }

  async close(): Promise<void> {
    this.signal?.removeEventListener("abort", this.onAbort);
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = undefined;
  }
}

async function* events(
  etcd: Etcd3,
  repo: TrainingRepository,
  id: string,
  start: { snapshot: TrainingSnapshot; emit: boolean },
  signal?: AbortSignal,
): AsyncGenerator<TrainingEvent> {
  let { snapshot, emit } = start;
  for (;;) {
    const acc = new TrainingAccumulator();
    acc.spec = snapshot.spec;
    for (const t of snapshot.tasks) acc.tasks.set(t.id, t);
    let view = trainingView(snapshot.spec, snapshot.tasks);
    if (emit) {
      yield { revision: snapshot.revision, kind: "snapshot", training: view };
      if (isTerminal(view.state)) return;
    }
    const feed = new ChangeFeed(signal);
    try {
      await feed.open(etcd, trainingPrefix(id), snapshot.revision + 1);
      for (;;) {
        const changes = await feed.next();
        if (!changes) return;
        const { kind, modelId } = classify(acc, changes);
        if (!acc.spec) throw new DmlError("NOT_FOUND", `training ${id} was deleted`, { trainingId: id });
        view = trainingView(acc.spec, acc.taskList());
        yield { revision: changes[0]!.revision, kind, ...(modelId !== undefined && { modelId }), training: view };
        if (isTerminal(view.state)) return;
      }
    } catch (err) {
      // The history we were following was compacted away: start over from a fresh snapshot.
      if (!isUnreadableRevision(err)) throw err;
    } finally {
      await feed.close();
    }
    const fresh = await repo.get(id);
    if (!fresh) throw new DmlError("NOT_FOUND", `training ${id} was deleted`, { trainingId: id });
    snapshot = fresh;
    emit = true;
  }
}

/**
 * Opens a training's event stream. Resolves once the starting point is read, so a bad or unknown
 * id rejects here (before a REST edge commits to a 200). The watch is cancelled when the consumer
 * stops iterating, or when `signal` aborts while it waits.
 */
export async function openTrainingWatch(
  etcd: Etcd3,
  repo: TrainingRepository,
  id: string,
  fromRevision?: number,
  signal?: AbortSignal,
): Promise<TrainingWatch> {
  const start = await startPoint(repo, id, fromRevision);
  return {
    resumedAfterEnd: start.resumedAfterEnd,
    [Symbol.asyncIterator]: () => events(etcd, repo, id, start, signal),
  };
}
