// Trainings under failure (issue 5, points 3, 5 and 7), with real processes: two schedulers, four
// trainers with one slot each, three stores and a gateway, and long-running random forests so
// there is time to kill things in the middle.
// - kill -9 of a trainer mid-task: the task goes back to the queue within the lease TTL and its
//   next attempt completes elsewhere;
// - kill -9 of the leader scheduler mid-training: the standby takes over and the training
//   completes, every task recorded once;
// - a SIGSTOPped trainer whose task was reassigned cannot report progress or a result for its
//   old attempt (ABORTED), and the record keeps the new attempt's result;
// - a poison task (its trainer dies on every attempt) fails after 3 attempts with the reason, and
//   the rest of the training completes;
// - cancel stops running tasks within 2 s and schedules nothing afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, ClientError, Status } from "nice-grpc";
import { workV1 } from "@dml/proto";
import type { TrainingView } from "@dml/catalog";
import { CLIENT_OPTIONS } from "@dml/runtime";
import { TestCluster, waitFor, type TestNode } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import { uploadCsv } from "./helpers/datasets.js";
import { assertFinalRecord, isEnded, postJson, readTraining, syntheticCsv, waitForTraining, waitNothingRunning } from "./helpers/trainings.js";

const LEASE_TTL = 3;
let cluster: TestCluster;
let etcd: Etcd3;
let datasetId: string;
const killed = new Set<string>();

// ~10 s of fitting on one core: long enough to kill things in the middle.
const LONG = { algorithm: "random_forest", params: { n_estimators: 500 } };
const SHORT = { algorithm: "naive_bayes" };

/** Starts a training through the REST API. */
async function train(models: Array<{ algorithm: string; params?: Record<string, unknown> }>): Promise<string> {
  const res = await postJson<TrainingView>(`${cluster.httpUrl}/v1/trainings`, { datasetId, target: "label", task: "classification", models });
  expect(res.status).toBe(202);
  return res.body.id;
}

async function trainerNode(id: string | undefined): Promise<TestNode> {
  if (!id) throw new Error("task has no trainer");
  return cluster.node(id);
}

async function kill(node: TestNode): Promise<void> {
  killed.add(node.id);
  await node.kill("SIGKILL");
}

/** Waits until model `index` of the training runs with progress reported, and returns its trainer and attempt. */
async function whenRunning(trainingId: string, index: number, attempt = 1): Promise<{ trainer: string; attempt: number }> {
  const { view } = await waitForTraining(etcd, trainingId, (v) => v.models[index]!.state === "running" && v.models[index]!.attempts === attempt && v.models[index]!.progress > 0, 60_000, `model ${index} running attempt ${attempt}`);
  const m = view.models[index]!;
  return { trainer: m.trainer!, attempt: m.attempts };
}

beforeAll(async () => {
  cluster = await TestCluster.start({ schedulers: 2, stores: 3, trainers: 4, gateways: 1, leaseTtl: LEASE_TTL, env: { DML_TRAINER_SLOTS: "1" } });
  etcd = cluster.client();
  const ds = await uploadCsv(cluster.httpUrl, syntheticCsv(20_000, 10), { name: "synthetic" });
  datasetId = ds.id;
});

afterAll(async () => {
  await cluster?.stop();
});

describe("trainings under failure", () => {
  it("requeues a killed trainer's task within the lease TTL and completes it elsewhere", async () => {
    const id = await train([LONG, SHORT]);
    const { trainer } = await whenRunning(id, 0);
    const killedAt = Date.now();
    await kill(await trainerNode(trainer));
    const { view: requeued } = await waitForTraining(etcd, id, (v) => v.models[0]!.attempts >= 2, 15_000, "second attempt");
    expect(Date.now() - killedAt).toBeLessThan((LEASE_TTL + 2) * 1000);
    expect(requeued.models[0]!.trainer).not.toBe(trainer);
    const { view, tasks } = await waitForTraining(etcd, id, isEnded, 90_000);
    expect(view.state).toBe("succeeded");
    expect(view.models.map((m) => m.state)).toEqual(["succeeded", "succeeded"]);
    expect(tasks[0]!.history[0]).toMatchObject({ attempt: 1, trainer, outcome: "lost" });
    expect(tasks[0]!.history.filter((h) => h.outcome === "succeeded")).toHaveLength(1);
    expect(assertFinalRecord(tasks)).toEqual([]);
    await waitNothingRunning(cluster.httpUrl);
    // Replace the killed trainer so later tests keep their capacity.
    await cluster.startNode("trainer");
  });

  it("survives kill -9 of the leader scheduler mid-training", async () => {
    const id = await train([LONG, LONG, SHORT]);
    await whenRunning(id, 0);
    const before = await cluster.leadership(etcd);
    const leader = cluster.node(before!.leaderId);
    await kill(leader);
    const after = await waitFor(async () => {
      const l = await cluster.leadership(etcd);
      return l && l.leaderId !== before!.leaderId ? l : undefined;
    }, { timeoutMs: (LEASE_TTL + 3) * 1000, message: "a new leader" });
    expect(after.leaderId).not.toBe(before!.leaderId);
    const { view, tasks } = await waitForTraining(etcd, id, isEnded, 120_000);
    expect(view.state).toBe("succeeded");
    expect(view.models.every((m) => m.state === "succeeded")).toBe(true);
    expect(assertFinalRecord(tasks)).toEqual([]);
    await waitNothingRunning(cluster.httpUrl);
    await cluster.startNode("scheduler");
  });

  it("fences out a SIGSTOPped trainer whose task was reassigned", async () => {
    const id = await train([LONG]);
    const { trainer } = await whenRunning(id, 0);
    const zombie = await trainerNode(trainer);
    zombie.pause();
    try {
      const { view } = await waitForTraining(etcd, id, (v) => v.models[0]!.attempts >= 2 && v.models[0]!.state === "running", 20_000, "reassignment");
      expect(view.models[0]!.trainer).not.toBe(trainer);
    } finally {
      zombie.resume();
    }
    const done = await waitForTraining(etcd, id, isEnded, 90_000);
    expect(done.view.state).toBe("succeeded");
    const recorded = done.tasks[0]!;
    expect(recorded.completedAttempt).toBeGreaterThanOrEqual(2);

    // The zombie's own reports for attempt 1, sent now, are refused and change nothing.
    const leadership = await cluster.leadership(etcd);
    const channel = createChannel(cluster.node(leadership!.leaderId).address, undefined, CLIENT_OPTIONS);
    const work = createClient(workV1.WorkServiceDefinition, channel);
    try {
      const late = work.completeTask({ nodeId: trainer, taskId: recorded.id, attempt: 1, outcome: { $case: "failure", failure: { error: "late", retryable: true } } });
      await expect(late).rejects.toSatisfy((e: unknown) => e instanceof ClientError && e.code === Status.ABORTED);
      const progress = work.reportProgress({ nodeId: trainer, taskId: recorded.id, attempt: 1, progress: 0.5, message: "late" });
      await expect(progress).rejects.toSatisfy((e: unknown) => e instanceof ClientError && e.code === Status.ABORTED);
    } finally {
      channel.close();
    }
    const after = await readTraining(etcd, id);
    expect(after.tasks[0]).toEqual(recorded);
    // Give the resumed zombie time to finish or drop attempt 1: the record must not move.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await readTraining(etcd, id)).tasks[0]).toEqual(recorded);
    expect(assertFinalRecord(after.tasks)).toEqual([]);
    // The resumed zombie is told to stop attempt 1 on its next heartbeat; on a loaded machine its
    // worker and its (refused) completion can take a while.
    await waitNothingRunning(cluster.httpUrl, 30_000);
  });

  it("fails a poison task after 3 attempts with the reason, and completes the rest", async () => {
    const id = await train([LONG, SHORT, SHORT]);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { trainer } = await whenRunning(id, 0, attempt);
      await kill(await trainerNode(trainer));
      await cluster.startNode("trainer");
    }
    const { view, tasks } = await waitForTraining(etcd, id, isEnded, 60_000);
    expect(view.models[0]!.state).toBe("failed");
    expect(view.models[0]!.attempts).toBe(3);
    expect(view.models[0]!.error).toMatch(/failed on 3 attempts; last: trainer .* left the cluster/);
    expect(view.models.slice(1).map((m) => m.state)).toEqual(["succeeded", "succeeded"]);
    expect(view.state).toBe("succeeded");
    expect(view.leaderboard).toHaveLength(2);
    expect(assertFinalRecord(tasks)).toEqual([]);
    await waitNothingRunning(cluster.httpUrl);
  });

  it("cancel stops running tasks within 2 s and schedules nothing after", async () => {
    const live = cluster.byRole("trainer").filter((n) => !killed.has(n.id)).length;
    const id = await train([...Array.from({ length: live }, () => LONG), SHORT, SHORT]);
    await waitForTraining(etcd, id, (v) => v.models.slice(0, live).every((m) => m.state === "running" && m.progress > 0), 60_000, "every trainer busy");
    const asked = Date.now();
    const cancel = await postJson<TrainingView>(`${cluster.httpUrl}/v1/trainings/${id}/cancel`, {});
    expect(cancel.status).toBe(202);
    expect(cancel.body.cancelRequested).toBe(true);
    const { view, tasks } = await waitForTraining(etcd, id, isEnded, 10_000);
    expect(Date.now() - asked).toBeLessThan(2500);
    expect(view.state).toBe("cancelled");
    expect(view.models.every((m) => m.state === "cancelled")).toBe(true);
    // The queued models never started.
    expect(view.models.slice(live).every((m) => m.attempts === 0)).toBe(true);
    // Every running attempt was confirmed stopped by its trainer (not ended by the grace timer).
    for (const t of tasks.slice(0, live)) expect(t.history.at(-1)).toMatchObject({ outcome: "cancelled" });
    expect(assertFinalRecord(tasks)).toEqual([]);
    await waitNothingRunning(cluster.httpUrl);
    await new Promise((r) => setTimeout(r, 1500));
    const later = await readTraining(etcd, id);
    expect(later.view.models.map((m) => [m.state, m.attempts])).toEqual(view.models.map((m) => [m.state, m.attempts]));
  });
});
