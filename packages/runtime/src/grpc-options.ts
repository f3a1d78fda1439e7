// gRPC's default receive limit is 4 MiB on both client and server: far too small for Arrow
// record batches of ~64k rows. Every DML server and client uses these options.
import type { ChannelOptions } from "@grpc/grpc-js";

export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * HTTP/2 flow-control window (per stream and per connection) for receiving. The default 64 KiB
 * makes a sender wait for a WINDOW_UPDATE round trip every 64 KiB: a 10 MB batch to a store took
 * ~160 round trips, each needing both event loops, which on a busy machine doubled the write time
 * and the sender's CPU. Clients set it with grpc-node.flow_control_window; servers through
 * raiseServerFlowControlWindow (grpc-server.ts), because grpc-js servers ignore that option.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

export const SERVER_OPTIONS: ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 5_000,
};

export const CLIENT_OPTIONS: ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  // A larger HTTP/2 flow-control window keeps big batch streams from stalling on round trips.
  "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW_BYTES,
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
};
