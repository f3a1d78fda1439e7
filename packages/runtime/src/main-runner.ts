// The thin `main` of every role: load config (exit 2 with every problem listed), start the node,
// stop it gracefully on SIGINT/SIGTERM (a second signal exits at once), exit non-zero on a crash.
import { ConfigError } from "./config.js";

interface Stoppable {
  stop(): Promise<void>;
  log?: { fatal(obj: unknown, msg: string): void; info(msg: string): void };
}

export async function runMain(name: string, start: () => Promise<Stoppable>): Promise<void> {
  // A signal that arrives while starting is held until the node is up, then stops it cleanly
  // (so its lease is revoked rather than left to expire).
  let early: NodeJS.Signals | undefined;
  const holdSignal = (signal: NodeJS.Signals) => {
    early ??= signal;
  };
  process.on("SIGINT", holdSignal);
  process.on("SIGTERM", holdSignal);
  let node: Stoppable;
  try {
    node = await start();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${name}: failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    node.log?.info(`received ${signal}`);
    node.stop().then(
      () => process.exit(0),
      (err) => {
        node.log?.fatal({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.off("SIGINT", holdSignal);
  process.off("SIGTERM", holdSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (early) onSignal(early);
  // Set by the launcher (`dml up`), which keeps our stdin open: when it closes, the launcher is
  // gone (even by kill -9), and a supervised node must not linger as an orphan.
  if (process.env["DML_EXIT_WITH_PARENT"] === "1") {
    process.stdin.on("end", () => onSignal("SIGTERM"));
    process.stdin.on("error", () => onSignal("SIGTERM"));
    process.stdin.resume();
  }
  process.on("unhandledRejection", (err) => {
    node.log?.fatal({ err }, "unhandled rejection");
    process.exit(1);
  });
}
