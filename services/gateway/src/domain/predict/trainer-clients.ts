// One long-lived gRPC channel (one HTTP/2 connection) per trainer address, reused by every
// prediction routed there; closed when the trainer leaves the membership.
import { createChannel, createClient, type Channel } from "nice-grpc";
import { trainerV1 } from "@dml/proto";
import { CLIENT_OPTIONS } from "@dml/runtime";

export type TrainerClient = trainerV1.TrainerServiceClient;

export class TrainerClients {
  private readonly entries = new Map<string, { channel: Channel; client: TrainerClient }>();

  client(address: string): TrainerClient {
    let entry = this.entries.get(address);
    if (!entry) {
      const channel = createChannel(address, undefined, CLIENT_OPTIONS);
      entry = { channel, client: createClient(trainerV1.TrainerServiceDefinition, channel) };
      this.entries.set(address, entry);
    }
    return entry.client;
  }

  drop(address: string): void {
    const entry = this.entries.get(address);
    if (!entry) return;
    this.entries.delete(address);
    entry.channel.close();
  }

  close(): void {
    for (const address of [...this.entries.keys()]) this.drop(address);
  }
}
