// Scheduler leader election through etcd, written out here (rather than etcd3's Election, whose
// lease defaults to 60 s) so that the fencing value is explicit. Each candidate puts
// <prefix><leaseId> under its own short lease; the candidate whose key has the lowest create
// revision leads; the others watch the key just before theirs and re-check when it is deleted.
//
// The leader key's create revision is the fencing value: every leader-only write is a
// transaction comparing it, so a paused or partitioned old leader (which may believe it leads for
// up to about one TTL after its lease expired) cannot change anything.
import { EventEmitter } from "node:events";
import type { Etcd3, Lease, Watcher } from "etcd3";
import type { IOperation } from "etcd3/lib/builder.js";
import type { Logger } from "pino";
import { StaleFenceError } from "./errors.js";

export interface Fence {
  /** The leader key (prefix + lease id). */
  key: string;
  /** Its create revision: the fencing value compared in every leader-only write. */
  revision: number;
  leaderId: string;
}

/** A compare of the caller's own in a fenced transaction (etcd3's `and()` arguments). */
export interface TxnCompare {
  key: string;
  target: "Version" | "Create" | "Mod" | "Value" | "Lease";
  cmp: "==" | "!=" | "<" | ">";
  value: string | number;
}

export interface Leadership {
  leaderId: string;
  fencingRevision: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Who leads right now, read from etcd (no candidate state needed). */
export async function readLeadership(client: Etcd3, prefix: string): Promise<Leadership | undefined> {
  const res = await client.getAll().prefix(prefix).sort("Create", "Ascend").limit(1).exec();
  const kv = res.kvs[0];
  if (!kv) return undefined;
  return { leaderId: kv.value.toString(), fencingRevision: Number(kv.create_revision) };
}

export class LeaderElection extends EventEmitter {
  private fence: Fence | undefined;
  private term = 0;
  private stopped = false;
  private lease: Lease | undefined;
  private watcher: Watcher | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly opts: { prefix: string; nodeId: string; ttlSeconds: number; log: Logger },
  ) {
    super();
  }

  isLeader(): boolean {
    return this.fence !== undefined;
  }

  /** The current fence when leading, else undefined. */
  currentFence(): Fence | undefined {
    return this.fence;
  }

  /** Starts campaigning in the background; emits "elected" (Fence) and "lost" (reason). */
  start(): void {
    void this.campaignLoop();
  }

  private async campaignLoop(): Promise<void> {
    while (!this.stopped) {
      const term = ++this.term;
      try {
        await this.campaign(term);
        return; // campaign() returns once this term has been set up; loss restarts the loop
      } catch (err) {
        if (this.stopped) return;
        this.opts.log.warn({ err: (err as Error).message }, "campaign failed; retrying");
        await this.cleanupTerm();
        await sleep(500);
      }
    }
  }

  private async campaign(term: number): Promise<void> {
    const { client, opts } = this;
    const lease = client.lease(opts.ttlSeconds, { autoKeepAlive: true });
    this.lease = lease;
    lease.on("lost", (err) => this.stepDown(term, `lease lost: ${err.message}`));
    const leaseId = await lease.grant();
    const key = `${opts.prefix}${leaseId}`;
    const put = await client
      .if(key, "Create", "==", 0)
      .then(client.put(key).value(opts.nodeId).lease(leaseId))
      .commit();
    if (!put.succeeded) throw new Error(`election key ${key} already exists`);
    const myRevision = Number(put.header.revision);
    opts.log.info({ key, revision: myRevision }, "campaigning for scheduler leadership");
    await this.waitForTurn(term, key, myRevision);
  }

  /** Watches the predecessor until none is left, then becomes leader (while `term` is current). */
  private async waitForTurn(term: number, key: string, myRevision: number): Promise<void> {
    const { client, opts } = this;
    const res = await client.getAll().prefix(opts.prefix).sort("Create", "Ascend").exec();
    if (term !== this.term || this.stopped) return;
    const mine = res.kvs.find((kv) => kv.key.toString() === key);
    if (!mine) {
      this.stepDown(term, "own candidate key vanished");
      return;
    }
    const predecessors = res.kvs.filter((kv) => Number(kv.create_revision) < myRevision);
    const watchFrom = String(Number(res.header.revision) + 1);
    if (predecessors.length === 0) {
      this.fence = { key, revision: myRevision, leaderId: opts.nodeId };
      this.watcher = await client.watch().key(key).startRevision(watchFrom).create();
      this.watcher.on("delete", () => this.stepDown(term, "leader key deleted"));
      opts.log.info({ fencingRevision: myRevision }, "elected scheduler leader");
      this.emit("elected", this.fence);
      return;
    }
    const predecessor = predecessors[predecessors.length - 1]!;
    opts.log.info({ waitingOn: predecessor.value.toString() }, "standing by");
    this.emit("standby", predecessor.value.toString());
    const watcher = await client.watch().key(predecessor.key.toString()).startRevision(watchFrom).create();
    this.watcher = watcher;
    watcher.on("delete", () => {
      void watcher.cancel();
      if (term !== this.term || this.stopped) return;
      this.waitForTurn(term, key, myRevision).catch((err) => this.stepDown(term, `re-check failed: ${(err as Error).message}`));
    });
  }

  /** Leaves leadership (or candidacy) for `term` and campaigns again with a fresh lease. */
  private stepDown(term: number, reason: string): void {
    if (term !== this.term || this.stopped) return;
    this.term++; // invalidates callbacks of the old term
    const wasLeader = this.fence !== undefined;
    this.fence = undefined;
    this.opts.log.warn({ reason, wasLeader }, wasLeader ? "lost scheduler leadership" : "candidacy ended");
    if (wasLeader) this.emit("lost", reason);
    void this.cleanupTerm().then(async () => {
      await sleep(200);
      if (!this.stopped) void this.campaignLoop();
    });
  }

  private async cleanupTerm(): Promise<void> {
    const watcher = this.watcher;
    const lease = this.lease;
    this.watcher = undefined;
    this.lease = undefined;
    await watcher?.cancel().catch(() => undefined);
    if (lease) await lease.revoke().catch(() => lease.release());
  }

  /**
   * Runs `ops` in one etcd transaction guarded by the leader key's create revision, plus any
   * `compares` of the caller's own (e.g. a manifest's mod revision or a task's attempt). Returns
   * false when only the caller's compares failed. Throws StaleFenceError (and steps down) when
   * this node is not, or no longer, the leader.
   */
  async fencedTxn(ops: IOperation[], compares: TxnCompare[] = []): Promise<boolean> {
    return (await this.fencedTxnRevision(ops, compares)) !== undefined;
  }

  /** fencedTxn that returns the etcd revision of the write, or undefined when a caller's compare failed. */
  async fencedTxnRevision(ops: IOperation[], compares: TxnCompare[] = []): Promise<number | undefined> {
    const fence = this.fence;
    const term = this.term;
    if (!fence) throw new StaleFenceError("not the scheduler leader");
    let txn = this.client.if(fence.key, "Create", "==", fence.revision);
    for (const c of compares) txn = txn.and(c.key, c.target, c.cmp, c.value);
    const res = await txn.then(...ops).commit();
    if (res.succeeded) return Number(res.header.revision);
    if (compares.length > 0) {
      // Tell a lost fence from a failed compare of the caller's.
      const current = await this.client.get(fence.key).exec();
      const kv = current.kvs[0];
      if (kv && Number(kv.create_revision) === fence.revision) return undefined;
    }
    this.opts.log.warn({ fencingRevision: fence.revision }, "fenced write rejected: leadership is gone");
    this.stepDown(term, "fenced write rejected");
    throw new StaleFenceError("leader fencing revision is stale", { fencingRevision: fence.revision });
  }

  /** Resigns: deletes the candidate key by revoking its lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.fence = undefined;
    await this.cleanupTerm();
  }
}
