// A live view of cluster membership, kept current by an etcd watch on /dml/nodes/: who is up,
// by role, without a read per request. Used to place and find replicas on stores and to route
// work to trainers.
import { EventEmitter } from "node:events";
import type { Etcd3, Watcher } from "etcd3";
import type { Role } from "./config.js";
import { KEYS } from "./keys.js";
import type { NodeRecord } from "./membership.js";

export class NodeDirectory extends EventEmitter {
  private readonly nodes = new Map<string, NodeRecord>();
  private watcher: Watcher | undefined;

  constructor(private readonly etcd: Etcd3) {
    super();
  }

  /** Loads the current members, then follows changes from that revision on. */
  async start(): Promise<void> {
    const res = await this.etcd.getAll().prefix(KEYS.nodesPrefix).exec();
    for (const kv of res.kvs) {
      const record = JSON.parse(kv.value.toString()) as NodeRecord;
      this.nodes.set(record.id, record);
    }
    this.watcher = await this.etcd
      .watch()
      .prefix(KEYS.nodesPrefix)
      .startRevision(String(Number(res.header.revision) + 1))
      .create();
    this.watcher.on("put", (kv) => {
      const record = JSON.parse(kv.value.toString()) as NodeRecord;
      const isNew = !this.nodes.has(record.id);
      this.nodes.set(record.id, record);
      if (isNew) this.emit("joined", record);
    });
    this.watcher.on("delete", (kv) => {
      const id = kv.key.toString().slice(KEYS.nodesPrefix.length);
      const record = this.nodes.get(id);
      this.nodes.delete(id);
      if (record) this.emit("left", record);
    });
  }

  /** Live nodes of a role (draining ones excluded), sorted by id. */
  live(role: Role): NodeRecord[] {
    return [...this.nodes.values()].filter((n) => n.role === role && n.state === "up").sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  async stop(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = undefined;
  }
}
