// The leader's view of every training and task, loaded when it is elected and kept current by an
// etcd watch. It is only a guide for choosing what to do: every write the leader makes compares
// the record's mod revision (and the leader key), so acting on a stale entry just fails and the
// next pass sees the newer record.
import { EventEmitter } from "node:events";
import type { Etcd3, Watcher } from "etcd3";
import { TRAININGS_PREFIX, type TaskRecord, type TrainingSpec } from "@dml/catalog";

export interface Versioned<T> {
  value: T;
  modRevision: number;
}

export interface BookEntry {
  spec?: Versioned<TrainingSpec>;
  tasks: Map<string, Versioned<TaskRecord>>;
}

export class TaskBook extends EventEmitter {
  readonly trainings = new Map<string, BookEntry>();
  private watcher: Watcher | undefined;

  constructor(private readonly etcd: Etcd3) {
    super();
  }

  async start(): Promise<void> {
    const res = await this.etcd.getAll().prefix(TRAININGS_PREFIX).exec();
    this.trainings.clear();
    for (const kv of res.kvs) this.apply(kv.key.toString(), kv.value.toString(), Number(kv.mod_revision));
    const watcher = await this.etcd
      .watch()
      .prefix(TRAININGS_PREFIX)
      .startRevision(String(Number(res.header.revision) + 1))
      .create();
    this.watcher = watcher;
    watcher.on("put", (kv) => {
      this.apply(kv.key.toString(), kv.value.toString(), Number(kv.mod_revision));
      this.emit("changed");
    });
    watcher.on("delete", (kv) => {
      this.apply(kv.key.toString(), undefined, Number(kv.mod_revision));
      this.emit("changed");
    });
  }

  async stop(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    await w?.cancel().catch(() => undefined);
  }

  /** Records a write of our own at once, so the next pass does not wait for the watch. */
  noteWrite(trainingId: string, task: TaskRecord, modRevision: number): void {
    const entry = this.entry(trainingId);
    const current = entry.tasks.get(task.id);
    if (!current || current.modRevision < modRevision) entry.tasks.set(task.id, { value: task, modRevision });
  }

  task(trainingId: string, taskId: string): Versioned<TaskRecord> | undefined {
    return this.trainings.get(trainingId)?.tasks.get(taskId);
  }

  private entry(trainingId: string): BookEntry {
    let entry = this.trainings.get(trainingId);
    if (!entry) this.trainings.set(trainingId, (entry = { tasks: new Map() }));
    return entry;
  }

  private apply(key: string, value: string | undefined, modRevision: number): void {
    const [trainingId, kind, taskId] = key.slice(TRAININGS_PREFIX.length).split("/");
    if (!trainingId) return;
    const entry = this.entry(trainingId);
    if (kind === "spec") {
      if (value === undefined) this.trainings.delete(trainingId);
      else entry.spec = { value: JSON.parse(value) as TrainingSpec, modRevision };
    } else if (kind === "tasks" && taskId) {
      const current = entry.tasks.get(taskId);
      if (value === undefined) entry.tasks.delete(taskId);
      else if (!current || current.modRevision <= modRevision) entry.tasks.set(taskId, { value: JSON.parse(value) as TaskRecord, modRevision });
    }
  }
}
