// Membership and scheduler leadership with real processes: nodes register under short leases and
// vanish when killed; kill -9 of the leader moves leadership within TTL + 1 s; a SIGSTOPped
// leader that resumes after being replaced does not act as leader.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Etcd3 } from "etcd3";
import { KEYS, type NodeRecord } from "@dml/runtime";
import { TestCluster, waitFor, type TestNode } from "@dml/testkit";
import type { LeaderState } from "@dml/scheduler";

const TTL_SECONDS = 3;
const FAILOVER_BUDGET_MS = (TTL_SECONDS + 1) * 1000;

let cluster: TestCluster;
let etcd: Etcd3;

async function currentLeader(): Promise<{ node: TestNode; fencingRevision: number }> {
  const leadership = await waitFor(() => cluster.leadership(etcd), { timeoutMs: 10_000, message: "a scheduler leads" });
  return { node: cluster.node(leadership.leaderId), fencingRevision: leadership.fencingRevision };
}

/** Starts watching `key`; `deletedAt` resolves with the time it is deleted. */
async function watchDeletion(key: string): Promise<{ deletedAt: Promise<number> }> {
  const watcher = await etcd.watch().key(key).create();
  const deletedAt = new Promise<number>((resolve) =>
    watcher.on("delete", () => {
      resolve(Date.now());
      void watcher.cancel();
    }),
  );
  return { deletedAt };
}

beforeAll(async () => {
  cluster = await TestCluster.start({ schedulers: 2, trainers: 2, stores: 1, leaseTtl: TTL_SECONDS });
  etcd = cluster.client();
});

afterAll(async () => {
  await cluster?.stop();
});

describe("membership", () => {
  it("registers every node with its role, advertised address, pid and lease", async () => {
    const values = await etcd.getAll().prefix(KEYS.nodesPrefix).strings();
    const records = Object.values(values).map((v) => JSON.parse(v) as NodeRecord);
    expect(records.map((r) => r.id).sort()).toEqual(["scheduler-1", "scheduler-2", "store-1", "trainer-1", "trainer-2"]);
    for (const r of records) {
      const node = cluster.node(r.id);
      expect(r.role).toBe(node.role);
      expect(r.address).toBe(node.address);
      expect(r.pid).toBe(node.pid);
      expect(r.state).toBe("up");
    }
    expect(records.find((r) => r.id === "trainer-1")?.slots).toBeGreaterThan(0);
    // Attached to a lease with the configured TTL, not etcd3's 60 s default.
    const res = await etcd.get(KEYS.node("store-1")).exec();
    const leaseId = res.kvs[0]!.lease;
    expect(Number(leaseId)).toBeGreaterThan(0);
    const lease = await etcd.leaseClient.leaseTimeToLive({ ID: leaseId });
    expect(Number(lease.grantedTTL)).toBe(TTL_SECONDS);
  });

  it("drops a kill -9'd trainer from membership within TTL + 1 s", async () => {
    const trainer = cluster.node("trainer-2");
    const { deletedAt: deleted } = await watchDeletion(KEYS.node(trainer.id));
    const killedAt = Date.now();
    await trainer.kill("SIGKILL");
    const deletedAt = await deleted;
    expect(deletedAt - killedAt).toBeLessThanOrEqual(FAILOVER_BUDGET_MS);
    expect(await etcd.get(KEYS.node(trainer.id)).string()).toBeNull();
    // The others are untouched.
    expect(await etcd.get(KEYS.node("trainer-1")).string()).not.toBeNull();
  });

  it("lets a restarted node take its id back once the dead one's lease is gone", async () => {
    const again = await cluster.startNode("trainer", { id: "trainer-2" });
    const record = JSON.parse((await etcd.get(KEYS.node("trainer-2")).string())!) as NodeRecord;
    expect(record.pid).toBe(again.pid);
  });
});

describe("scheduler leadership", () => {
  it("has exactly one leader and the standby knows who it is", async () => {
    const { node: leader } = await currentLeader();
    const candidates = await etcd.getAll().prefix(KEYS.schedulerElectionPrefix).strings();
    expect(Object.values(candidates).sort()).toEqual(["scheduler-1", "scheduler-2"]);
    await leader.waitForLine((e) => e["msg"] === "elected scheduler leader", 5_000);
    const standby = cluster.byRole("scheduler").find((s) => s.id !== leader.id)!;
    const line = await standby.waitForLine((e) => e["msg"] === "standing by", 5_000);
    expect(line["waitingOn"]).toBe(leader.id);
  });

  it("moves leadership to the standby within TTL + 1 s of a kill -9", async () => {
    const { node: old, fencingRevision: oldRevision } = await currentLeader();
    const killedAt = Date.now();
    await old.kill("SIGKILL");
    const next = await waitFor(
      async () => {
        const l = await cluster.leadership(etcd);
        return l && l.leaderId !== old.id ? l : undefined;
      },
      { timeoutMs: FAILOVER_BUDGET_MS + 2_000, intervalMs: 25, message: "a new leader after kill -9" },
    );
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThanOrEqual(FAILOVER_BUDGET_MS);
    expect(next.fencingRevision).toBeGreaterThan(oldRevision);
    // The new leader acts: its fenced leader-state write lands with its own fence.
    await waitFor(
      async () => {
        const raw = await etcd.get(KEYS.leaderState).string();
        const state = raw ? (JSON.parse(raw) as LeaderState) : undefined;
        return state?.leader === next.leaderId && state.fencingRevision === next.fencingRevision;
      },
      { timeoutMs: 3_000, message: "new leader writes leader-state" },
    );
    // Bring the cluster back to two schedulers for the next test.
    await cluster.startNode("scheduler");
  });

  it("does not let a SIGSTOPped leader act as leader when it resumes", async () => {
    const { node: old, fencingRevision: oldRevision } = await currentLeader();
    old.pause();
    try {
      const next = await waitFor(
        async () => {
          const l = await cluster.leadership(etcd);
          return l && l.leaderId !== old.id ? l : undefined;
        },
        { timeoutMs: FAILOVER_BUDGET_MS + 2_000, intervalMs: 25, message: "a new leader while the old one is paused" },
      );
      expect(next.fencingRevision).toBeGreaterThan(oldRevision);

      // Record every leader-state write from here on.
      const writes: LeaderState[] = [];
      const watcher = await etcd.watch().key(KEYS.leaderState).create();
      watcher.on("put", (kv) => writes.push(JSON.parse(kv.value.toString()) as LeaderState));

      old.resume();
      // Its overdue heartbeat fires first on resume, while it still holds its old fence: that
      // fenced write is rejected by etcd. It steps down (rejection, lost lease or deleted key)...
      await old.waitForLine((e) => e["msg"] === "fenced write rejected: leadership is gone" && e["fencingRevision"] === oldRevision, 10_000);
      await old.waitForLine((e) => e["msg"] === "lost scheduler leadership", 10_000);
      // ...then campaigns again and waits behind the new leader.
      await waitFor(() => old.lines.some((l) => l.includes('"msg":"standing by"') && l.includes(next.leaderId)), {
        timeoutMs: 10_000,
        message: "old leader stands by behind the new one",
      });
      // Several heartbeats later, every leader-state write came from the new leader with its fence.
      await waitFor(() => writes.length >= 3, { timeoutMs: 10_000, message: "three leader-state writes after resume" });
      await watcher.cancel();
      for (const w of writes) {
        expect(w.leader).toBe(next.leaderId);
        expect(w.fencingRevision).toBe(next.fencingRevision);
      }
      expect(await cluster.leadership(etcd)).toEqual(next);
    } finally {
      old.resume();
    }
  });
});
