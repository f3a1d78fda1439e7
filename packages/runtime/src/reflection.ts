// Server reflection from the buf-built descriptor set. nice-grpc-server-reflection answers only
// grpc.reflection.v1; many clients (older grpcurl, Postman, grpc-js-reflection-client) still speak
// v1alpha, whose messages are wire-identical, so the same implementation is registered at both paths.
import { readFileSync } from "node:fs";
import { ServerReflection, ServerReflectionService } from "nice-grpc-server-reflection";
import { descriptorSetPath } from "@dml/proto";
import type { Server } from "nice-grpc";

let descriptorSet: Uint8Array | undefined;

function loadDescriptorSet(): Uint8Array {
  descriptorSet ??= new Uint8Array(readFileSync(descriptorSetPath));
  return descriptorSet;
}

const V1ALPHA_PATH = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

const ServerReflectionV1AlphaService = {
  serverReflectionInfo: { ...ServerReflectionService.serverReflectionInfo, path: V1ALPHA_PATH },
} as unknown as typeof ServerReflectionService;

export function addReflection(server: Server, serviceNames: readonly string[]): void {
  const impl = ServerReflection(loadDescriptorSet(), serviceNames);
  server.add(ServerReflectionService, impl);
  server.add(ServerReflectionV1AlphaService, impl);
}
