// Node membership: each process puts its NodeRecord under /dml/nodes/<id>, attached to a lease
// with a short TTL, so a dead node vanishes from the cluster within about one TTL. If the lease
// is lost (etcd unreachable for longer than the TTL) the node registers again with a new lease.
import { EventEmitter } from "node:events";
import type { Etcd3, Lease } from "etcd3";
import type { Logger } from "pino";
import type { Role } from "./config.js";
import { DmlError } from "./errors.js";
import { KEYS } from "./keys.js";

export interface NodeRecord {
  id: string;
  role: Role;
  /** gRPC host:port other nodes dial. */
  address: string;
  /** Gateways: base HTTP URL. */
  http?: string;
  /** Trainers: concurrent task slots. */
  slots?: number;
  state: "up" | "draining";
  startedAt: string;
  version: string;
  pid: number;
  stats?: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Membership extends EventEmitter {
  private lease: Lease | undefined;
  private stopped = false;

  constructor(
    private readonly client: Etcd3,
    private record: NodeRecord,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
  ) {
    super();
  }

  get nodeRecord(): NodeRecord {
    return this.record;
  }

  /**
   * Registers the node. A key left by an earlier process with the same id (killed, lease not yet
   * expired) is waited out for up to TTL + 1 s; a live node holding the id makes this fail.
   */
  async start(): Promise<void> {
    const deadline = Date.now() + (this.ttlSeconds + 1) * 1000 + 500;
    for (;;) {
      if (await this.tryRegister()) return;
      if (Date.now() > deadline) {
        throw new DmlError("ALREADY_EXISTS", `node id "${this.record.id}" is already registered by a live node`);
      }
      await sleep(250);
    }
  }

  private async tryRegister(): Promise<boolean> {
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: true });
    const leaseId = await lease.grant();
    const key = KEYS.node(this.record.id);
    const res = await this.client
      .if(key, "Create", "==", 0)
      .then(this.client.put(key).value(JSON.stringify(this.record)).lease(leaseId))
      .commit();
    if (!res.succeeded) {
      await lease.revoke().catch(() => undefined);
      return false;
    }
    this.lease = lease;
    lease.on("lost", (err) => this.onLeaseLost(lease, err));
    this.log.info({ leaseId, ttl: this.ttlSeconds }, "registered in etcd");
    return true;
  }

  private onLeaseLost(lease: Lease, err: Error): void {
    if (this.stopped || lease !== this.lease) return;
    this.lease = undefined;
    this.log.warn({ err: err.message }, "membership lease lost; registering again");
    this.emit("lost");
    void this.reRegister();
  }

  private async reRegister(): Promise<void> {
    while (!this.stopped) {
      try {
        if (await this.tryRegister()) {
          this.emit("registered");
          return;
        }
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "registration failed; retrying");
      }
      await sleep(500);
    }
  }

  /** Rewrites the record (state, stats) under the current lease. */
  async update(patch: Partial<NodeRecord>): Promise<void> {
    this.record = { ...this.record, ...patch };
    const lease = this.lease;
    if (!lease) return;
    await lease.put(KEYS.node(this.record.id)).value(JSON.stringify(this.record));
  }

  /** Revokes the lease, which deletes the record at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    const lease = this.lease;
    this.lease = undefined;
    if (lease) await lease.revoke().catch(() => lease.release());
  }
}

export async function listNodes(client: Etcd3): Promise<NodeRecord[]> {
  const values = await client.getAll().prefix(KEYS.nodesPrefix).strings();
  return Object.values(values).map((v) => JSON.parse(v) as NodeRecord);
}
