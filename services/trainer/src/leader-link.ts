// How a trainer reaches the scheduler leader: look the leader up in etcd (election key with the
// lowest create revision, then its membership record for the address), one channel per address.
import { workV1 } from "@dml/proto";
import { DmlError, GrpcClientPool, KEYS, readLeadership, type NodeDirectory } from "@dml/runtime";
import type { Etcd3 } from "etcd3";

export type WorkClient = workV1.WorkServiceClient;

export class LeaderLink {
  private readonly clients = new GrpcClientPool(workV1.WorkServiceDefinition);

  constructor(
    private readonly etcd: Etcd3,
    private readonly directory: NodeDirectory,
  ) {}

  /** The current leader's id, address and a client for it; UNAVAILABLE while there is none. */
  async leader(): Promise<{ id: string; address: string; client: WorkClient }> {
    const leadership = await readLeadership(this.etcd, KEYS.schedulerElectionPrefix);
    const node = leadership && this.directory.get(leadership.leaderId);
    if (!leadership || !node) throw new DmlError("NO_LEADER", "no scheduler leader right now");
    return { id: node.id, address: node.address, client: this.client(node.address) };
  }

  client(address: string): WorkClient {
    return this.clients.client(address);
  }

  close(): void {
    this.clients.close();
  }
}
