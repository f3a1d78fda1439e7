// One long-lived gRPC channel (one HTTP/2 connection) per address, and a typed client over it:
// how every role calls other nodes (stores, trainers, the scheduler leader).
import { createChannel, createClient, type Channel, type Client, type CompatServiceDefinition } from "nice-grpc";
import type { ChannelOptions } from "@grpc/grpc-js";
import { CLIENT_OPTIONS } from "./grpc-options.js";

export class GrpcClientPool<D extends CompatServiceDefinition> {
  private readonly entries = new Map<string, { channel: Channel; client: Client<D> }>();

  constructor(
    private readonly definition: D,
    private readonly channelOptions: ChannelOptions = CLIENT_OPTIONS,
  ) {}

  /** The client for `address` (host:port), its channel created on first use. */
  client(address: string): Client<D> {
    let entry = this.entries.get(address);
    if (!entry) {
      const channel = createChannel(address, undefined, this.channelOptions);
      entry = { channel, client: createClient(this.definition, channel) };
      this.entries.set(address, entry);
    }
    return entry.client;
  }

  /** Closes the channel to `address` (e.g. its node left the cluster). */
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
