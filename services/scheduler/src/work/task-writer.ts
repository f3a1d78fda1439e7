// Every change the leader makes to a task: read the record, decide, and write it back in one etcd
// transaction that compares the leader key's revision (the fence) and the record's mod revision,
// so nothing else changed it in between — in particular not its attempt number. A compare that
// fails means someone else won: re-read and decide again.
import type { Etcd3 } from "etcd3";
import type { IOperation } from "etcd3/lib/builder.js";
import { jobSpecKey, jobTaskKey, type JobKind, type PredictionSpec, type TaskRecord, type TrainingSpec } from "@dml/catalog";
import { DmlError, type LeaderElection, type TxnCompare } from "@dml/runtime";

export interface TaskRead {
  kind: JobKind;
  task: TaskRecord;
  modRevision: number;
  /** The job's spec: a TrainingSpec for training tasks, a PredictionSpec for prediction tasks. */
  spec: TrainingSpec & PredictionSpec;
  specModRevision: number;
}

/** What a decision returns: the new record (or undefined to leave it), extra ops, extra compares. */
export interface TaskDecision<R> {
  next?: TaskRecord;
  ops?: (etcd: Etcd3) => IOperation[];
  compares?: TxnCompare[];
  result: R;
}

export class TaskWriter {
  constructor(
    private readonly etcd: Etcd3,
    private readonly election: LeaderElection,
    private readonly onWritten: (kind: JobKind, task: TaskRecord, modRevision: number) => void = () => undefined,
  ) {}

  async read(kind: JobKind, jobId: string, taskId: string): Promise<TaskRead | undefined> {
    const [taskRes, specRes] = await Promise.all([this.etcd.get(jobTaskKey(kind, jobId, taskId)).exec(), this.etcd.get(jobSpecKey(kind, jobId)).exec()]);
    const taskKv = taskRes.kvs[0];
    const specKv = specRes.kvs[0];
    if (!taskKv || !specKv) return undefined;
    return {
      kind,
      task: JSON.parse(taskKv.value.toString()) as TaskRecord,
      modRevision: Number(taskKv.mod_revision),
      spec: JSON.parse(specKv.value.toString()) as TrainingSpec & PredictionSpec,
      specModRevision: Number(specKv.mod_revision),
    };
  }

  /**
   * Applies `decide` to the current record until its write lands (or it decides to write nothing).
   * Throws NOT_FOUND for an unknown task; StaleFenceError when leadership is gone.
   */
  async update<R>(kind: JobKind, jobId: string, taskId: string, decide: (read: TaskRead) => TaskDecision<R>): Promise<R> {
    for (let round = 0; ; round++) {
      const read = await this.read(kind, jobId, taskId);
      if (!read) throw new DmlError("NOT_FOUND", `task ${taskId} of ${kind} ${jobId} not found`, { taskId, jobId });
      const decision = decide(read);
      if (!decision.next) return decision.result;
      const key = jobTaskKey(kind, jobId, taskId);
      const ops = [this.etcd.put(key).value(JSON.stringify(decision.next)), ...(decision.ops?.(this.etcd) ?? [])];
      const compares: TxnCompare[] = [{ key, target: "Mod", cmp: "==", value: read.modRevision }, ...(decision.compares ?? [])];
      const revision = await this.election.fencedTxnRevision(ops, compares);
      if (revision !== undefined) {
        this.onWritten(kind, decision.next, revision);
        return decision.result;
      }
      if (round > 50) throw new DmlError("UNAVAILABLE", `task ${taskId} keeps changing under the scheduler; try again`);
    }
  }
}
