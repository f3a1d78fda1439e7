// What the commands that talk to the gateway share: their common flags, the gateway they target,
// the ID argument, and printing a result as JSON (--json) or as text.
import { stringFlag, UsageError, type ParsedArgs } from "../args.js";
import { gatewayTarget, type GatewayTarget } from "../gateway-client.js";

export const COMMON_FLAGS = ["gateway", "token", "json"];

export const out = (s: string) => process.stdout.write(s + "\n");

export function target(args: ParsedArgs): GatewayTarget {
  return gatewayTarget({ gateway: stringFlag(args, "gateway"), token: stringFlag(args, "token") });
}

/** The one ID after the subcommand (`dml models get ID`); a usage error without it or with more. */
export function idArg(args: ParsedArgs, usage: string): string {
  const id = args.positionals[1];
  if (!id) throw new UsageError(`usage: ${usage}`);
  if (args.positionals.length > 2) throw new UsageError(`unexpected argument "${args.positionals[2]}"`);
  return id;
}

/** Prints `value` as indented JSON with --json, else the lines `format` makes of it. */
export function printResult<T>(args: ParsedArgs, value: T, format: (value: T) => string[]): void {
  if (args.flags.has("json")) out(JSON.stringify(value, null, 2));
  else for (const line of format(value)) out(line);
}
