// LeaderElection against a real etcd, in-process: one leader among candidates, takeover when
// the leader's key goes, and the fencing guarantee itself: a write guarded by a stale leader
// revision is rejected and changes nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Etcd3 } from "etcd3";
import { findFreePort, startEtcd, type EtcdProcess } from "@dml/cli";
import { createEtcdClient, createLogger, LeaderElection, readLeadership, StaleFenceError, type Fence } from "@dml/runtime";
import { waitFor } from "@dml/testkit";

const PREFIX = "/test/election/";
const log = createLogger({ service: "test", node: "test", level: "silent" });

let dir: string;
let etcd: EtcdProcess;
const clients: Etcd3[] = [];
const elections: LeaderElection[] = [];

function client(): Etcd3 {
  const c = createEtcdClient([etcd.endpoint]);
  clients.push(c);
  return c;
}

function candidate(nodeId: string, ttlSeconds = 2): LeaderElection {
  const e = new LeaderElection(client(), { prefix: PREFIX, nodeId, ttlSeconds, log });
  elections.push(e);
  return e;
}

function elected(e: LeaderElection): Promise<Fence> {
  const fence = e.currentFence();
  if (fence) return Promise.resolve(fence);
  return new Promise((resolve) => e.once("elected", resolve));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dml-election-"));
  etcd = await startEtcd({ dataDir: join(dir, "etcd"), clientPort: await findFreePort(), peerPort: await findFreePort() });
});

afterAll(async () => {
  await Promise.all(elections.map((e) => e.stop()));
  for (const c of clients) c.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("LeaderElection", () => {
  it("elects exactly one leader, the first candidate, and fences with its key's create revision", async () => {
    const a = candidate("a");
    a.start();
    const fenceA = await elected(a);
    const b = candidate("b");
    const standby = new Promise<string>((resolve) => b.once("standby", resolve));
    b.start();
    expect(await standby).toBe("a");
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    const seen = await readLeadership(client(), PREFIX);
    expect(seen).toEqual({ leaderId: "a", fencingRevision: fenceA.revision });

    // A fenced write by the leader lands.
    const admin = client();
    await a.fencedTxn([admin.put("/test/fenced").value("from-a")]);
    expect(await admin.get("/test/fenced").string()).toBe("from-a");
  });

  it("rejects a write fenced by a stale revision, hands leadership over, and re-joins the old leader as standby", async () => {
    const [a, b] = elections as [LeaderElection, LeaderElection];
    const admin = client();
    const oldFence = a.currentFence()!;
    const bElected = elected(b);
    // What a lease expiry does to a paused leader: its key disappears behind its back.
    await admin.delete().key(oldFence.key);
    const fenceB = await bElected;
    expect(fenceB.revision).toBeGreaterThan(oldFence.revision);

    // The old leader's write, guarded by its old fence, must not land, whatever a believes.
    const guarded = admin.put("/test/fenced").value("from-stale-a");
    await expect(
      admin.if(oldFence.key, "Create", "==", oldFence.revision).then(guarded).commit(),
    ).resolves.toMatchObject({ succeeded: false });
    await expect(a.fencedTxn([admin.put("/test/fenced").value("from-stale-a")])).rejects.toBeInstanceOf(StaleFenceError);
    expect(await admin.get("/test/fenced").string()).toBe("from-a");

    // The new leader writes; the old one comes back as a standby behind it.
    await b.fencedTxn([admin.put("/test/fenced").value("from-b")]);
    expect(await admin.get("/test/fenced").string()).toBe("from-b");
    await waitFor(async () => !a.isLeader() && (await admin.getAll().prefix(PREFIX).keys()).length === 2, {
      timeoutMs: 5_000,
      message: "old leader campaigns again as a standby",
    });
    expect(a.isLeader()).toBe(false);
    expect(await readLeadership(admin, PREFIX)).toEqual({ leaderId: "b", fencingRevision: fenceB.revision });
  });

  it("tells a failed compare of the caller's own from a lost fence", async () => {
    const b = elections[1]!;
    const admin = client();
    await admin.put("/test/guarded").value("v1");
    const rev = Number((await admin.get("/test/guarded").exec()).kvs[0]!.mod_revision);
    // A stale mod revision: the caller's compare fails, leadership is intact.
    const stale = await b.fencedTxn([admin.put("/test/guarded").value("lost-update")], [
      { key: "/test/guarded", target: "Mod", cmp: "==", value: String(rev - 1) },
    ]);
    expect(stale).toBe(false);
    expect(b.isLeader()).toBe(true);
    expect(await admin.get("/test/guarded").string()).toBe("v1");
    // The current one: the write lands.
    const ok = await b.fencedTxn([admin.put("/test/guarded").value("v2")], [
      { key: "/test/guarded", target: "Mod", cmp: "==", value: String(rev) },
    ]);
    expect(ok).toBe(true);
    expect(await admin.get("/test/guarded").string()).toBe("v2");
  });

  it("moves leadership to the standby when the leader resigns", async () => {
    const [, b] = elections as [LeaderElection, LeaderElection];
    const a = elections[0]!;
    const aElected = elected(a);
    await b.stop();
    const fence = await aElected;
    expect(fence.leaderId).toBe("a");
    expect(await readLeadership(client(), PREFIX)).toEqual({ leaderId: "a", fencingRevision: fence.revision });
  });
});
