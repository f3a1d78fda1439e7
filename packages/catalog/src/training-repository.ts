// Reads and user-side writes of trainings (create, cancel). The scheduler leader's fenced task
// writes live in the scheduler; everything here is safe for any node to call.
import type { Etcd3 } from "etcd3";
import { DmlError } from "@dml/runtime";
import {
  TRAININGS_PREFIX,
  taskKey,
  trainingPrefix,
  trainingSpecKey,
  type TaskRecord,
  type TrainingSpec,
} from "./trainings.js";

export interface TrainingSnapshot {
  spec: TrainingSpec;
  tasks: TaskRecord[];
  /** etcd revision the snapshot was read at. */
  revision: number;
}

/** Sorts one training's keys into its spec and tasks. */
export class TrainingAccumulator {
  spec: TrainingSpec | undefined;
  readonly tasks = new Map<string, TaskRecord>();

  /** Applies a put (value) or delete (undefined) of a key under the training's prefix. */
  apply(key: string, value: string | undefined): void {
    if (key.endsWith("/spec")) {
      this.spec = value === undefined ? undefined : (JSON.parse(value) as TrainingSpec);
      return;
    }
    const taskId = key.slice(key.lastIndexOf("/") + 1);
    if (value === undefined) this.tasks.delete(taskId);
    else this.tasks.set(taskId, JSON.parse(value) as TaskRecord);
  }

  taskList(): TaskRecord[] {
    return [...this.tasks.values()].sort((a, b) => a.index - b.index);
  }
}

export class TrainingRepository {
  constructor(private readonly etcd: Etcd3) {}

  /** Records a new training and its queued tasks in one transaction. */
  async create(spec: TrainingSpec, tasks: readonly TaskRecord[]): Promise<number> {
    const key = trainingSpecKey(spec.id);
    const res = await this.etcd
      .if(key, "Create", "==", 0)
      .then(this.etcd.put(key).value(JSON.stringify(spec)), ...tasks.map((t) => this.etcd.put(taskKey(spec.id, t.id)).value(JSON.stringify(t))))
      .commit();
    if (!res.succeeded) throw new DmlError("ALREADY_EXISTS", `training ${spec.id} already exists`);
    return Number(res.header.revision);
  }

  /** The training as of `revision` (default: now); undefined when it does not exist. */
  async get(id: string, revision?: number): Promise<TrainingSnapshot | undefined> {
    let q = this.etcd.getAll().prefix(trainingPrefix(id));
    if (revision !== undefined) q = q.revision(String(revision));
    const res = await q.exec();
    const acc = new TrainingAccumulator();
    for (const kv of res.kvs) acc.apply(kv.key.toString(), kv.value.toString());
    if (!acc.spec) return undefined;
    return { spec: acc.spec, tasks: acc.taskList(), revision: revision ?? Number(res.header.revision) };
  }

  async require(id: string): Promise<TrainingSnapshot> {
    const t = await this.get(id);
    if (!t) throw new DmlError("NOT_FOUND", `training ${id} not found`, { trainingId: id });
    return t;
  }

  /** Every training (optionally of one dataset), newest first. */
  async list(datasetId?: string): Promise<TrainingSnapshot[]> {
    const res = await this.etcd.getAll().prefix(TRAININGS_PREFIX).exec();
    const byId = new Map<string, TrainingAccumulator>();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      const id = key.slice(TRAININGS_PREFIX.length).split("/")[0]!;
      let acc = byId.get(id);
      if (!acc) byId.set(id, (acc = new TrainingAccumulator()));
      acc.apply(key, kv.value.toString());
    }
    const revision = Number(res.header.revision);
    return [...byId.values()]
      .filter((a): a is TrainingAccumulator & { spec: TrainingSpec } => a.spec !== undefined && (!datasetId || a.spec.datasetId === datasetId))
      .map((a) => ({ spec: a.spec, tasks: a.taskList(), revision }))
      .sort((a, b) => b.spec.createdAt.localeCompare(a.spec.createdAt) || b.spec.id.localeCompare(a.spec.id));
  }

  /** Marks the training cancelled (idempotent); the leader drops queued tasks and stops running ones. */
  async requestCancel(id: string): Promise<void> {
    const key = trainingSpecKey(id);
    for (;;) {
      const res = await this.etcd.get(key).exec();
      const kv = res.kvs[0];
      if (!kv) throw new DmlError("NOT_FOUND", `training ${id} not found`, { trainingId: id });
      const spec = JSON.parse(kv.value.toString()) as TrainingSpec;
      if (spec.cancelRequested) return;
      const next: TrainingSpec = { ...spec, cancelRequested: true, cancelRequestedAt: new Date().toISOString() };
      const txn = await this.etcd.if(key, "Mod", "==", kv.mod_revision).then(this.etcd.put(key).value(JSON.stringify(next))).commit();
      if (txn.succeeded) return;
    }
  }
}
