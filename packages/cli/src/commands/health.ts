// `dml health HOST:PORT [--service NAME]`: asks grpc.health.v1 and exits 0 only when SERVING.
// Used by docker-compose healthchecks; works against any DML node.
import { createChannel, createClient } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { CLIENT_OPTIONS } from "@dml/runtime";
import { parseArgs, rejectUnknownFlags, stringFlag, UsageError } from "../args.js";

const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

export async function healthCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  rejectUnknownFlags(args, ["service", "timeout-ms"]);
  const address = args.positionals[0];
  if (!address) throw new UsageError("usage: dml health HOST:PORT [--service NAME]");
  const channel = createChannel(address, undefined, CLIENT_OPTIONS);
  try {
    const client = createClient(HealthDefinition, channel);
    const res = await client.check(
      { service: stringFlag(args, "service") ?? "" },
      { signal: AbortSignal.timeout(Number(stringFlag(args, "timeout-ms") ?? 3_000)) },
    );
    const name = STATUS_NAMES[res.status] ?? String(res.status);
    process.stdout.write(`${name}\n`);
    return name === "SERVING" ? 0 : 1;
  } catch (err) {
    process.stderr.write(`health check of ${address} failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    channel.close();
  }
}
