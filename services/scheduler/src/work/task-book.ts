// The leader's view of every job (trainings and batch predictions) and its tasks, loaded when it is
// elected and kept current by etcd watches. It is only a guide for choosing what to do: every
// write the leader makes compares the record's mod revision (and the leader key), so acting on a
// stale entry just fails and the next pass sees the newer record.
import { EventEmitter } from "node:events";
import type { Etcd3, Watcher } from "etcd3";
import { JOB_PREFIXES, type JobKind, type PredictionSpec, type TaskRecord, type TrainingSpec } from "@dml/catalog";

export interface Versioned<T> {
  value: T;
  modRevision: number;
}

export type BookEntry =
  | { kind: "training"; jobId: string; spec?: Versioned<TrainingSpec>; tasks: Map<string, Versioned<TaskRecord>> }
  | { kind: "prediction"; jobId: string; spec?: Versioned<PredictionSpec>; tasks: Map<string, Versioned<TaskRecord>> };

const KINDS = Object.keys(JOB_PREFIXES) as JobKind[];
const entryKey = (kind: JobKind, jobId: string) => `${kind}/${jobId}`;

export class TaskBook extends EventEmitter {
  readonly jobs = new Map<string, BookEntry>();
  /** taskId -> the job holding it (task ids are unique across jobs). */
  private readonly taskJobs = new Map<string, BookEntry>();
  private watchers: Watcher[] = [];

  constructor(private readonly etcd: Etcd3) {
    super();
  }

  async start(): Promise<void> {
    this.jobs.clear();
    this.taskJobs.clear();
    for (const kind of KINDS) {
      const prefix = JOB_PREFIXES[kind];
      const res = await this.etcd.getAll().prefix(prefix).exec();
      for (const kv of res.kvs) this.apply(kind, kv.key.toString(), kv.value.toString(), Number(kv.mod_revision));
      const watcher = await this.etcd
        .watch()
        .prefix(prefix)
        .startRevision(String(Number(res.header.revision) + 1))
        .create();
      this.watchers.push(watcher);
      watcher.on("put", (kv) => {
        this.apply(kind, kv.key.toString(), kv.value.toString(), Number(kv.mod_revision));
        this.emit("changed");
      });
      watcher.on("delete", (kv) => {
        this.apply(kind, kv.key.toString(), undefined, Number(kv.mod_revision));
        this.emit("changed");
      });
    }
  }

  async stop(): Promise<void> {
    const watchers = this.watchers;
    this.watchers = [];
    await Promise.all(watchers.map((w) => w.cancel().catch(() => undefined)));
  }

  /** Records a write of our own at once, so the next pass does not wait for the watch. */
  noteWrite(kind: JobKind, task: TaskRecord, modRevision: number): void {
    const entry = this.entry(kind, task.jobId);
    const current = entry.tasks.get(task.id);
    if (!current || current.modRevision < modRevision) entry.tasks.set(task.id, { value: task, modRevision });
    this.taskJobs.set(task.id, entry);
  }

  /** The job of a task id, if the book knows it. */
  jobOfTask(taskId: string): BookEntry | undefined {
    return this.taskJobs.get(taskId);
  }

  private entry(kind: JobKind, jobId: string): BookEntry {
    const key = entryKey(kind, jobId);
    let entry = this.jobs.get(key);
    if (!entry) this.jobs.set(key, (entry = { kind, jobId, tasks: new Map() } as BookEntry));
    return entry;
  }

  private apply(kind: JobKind, key: string, value: string | undefined, modRevision: number): void {
    const [jobId, part, taskId] = key.slice(JOB_PREFIXES[kind].length).split("/");
    if (!jobId) return;
    const entry = this.entry(kind, jobId);
    if (part === "spec") {
      if (value === undefined) {
        this.jobs.delete(entryKey(kind, jobId));
        for (const id of entry.tasks.keys()) this.taskJobs.delete(id);
      } else entry.spec = { value: JSON.parse(value), modRevision };
    } else if (part === "tasks" && taskId) {
      const current = entry.tasks.get(taskId);
      if (value === undefined) {
        entry.tasks.delete(taskId);
        this.taskJobs.delete(taskId);
      } else if (!current || current.modRevision <= modRevision) {
        entry.tasks.set(taskId, { value: JSON.parse(value) as TaskRecord, modRevision });
        this.taskJobs.set(taskId, entry);
      }
    }
  }
}
