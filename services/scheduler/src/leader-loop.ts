// While leading, the scheduler writes a small leader-state record every heartbeat, fenced by the
// leader key's create revision. It makes leadership observable (who, which fence, when) and is
// the first leader-only write: a paused old leader that resumes finds it rejected and steps down.
import type { LeaderElection, Logger } from "@dml/runtime";
import { KEYS, StaleFenceError } from "@dml/runtime";
import type { Etcd3 } from "etcd3";

export interface LeaderState {
  leader: string;
  fencingRevision: number;
  at: string;
}

export function startLeaderLoop(opts: {
  etcd: Etcd3;
  election: LeaderElection;
  nodeId: string;
  intervalMs: number;
  log: Logger;
}): () => void {
  const { etcd, election, nodeId, log } = opts;
  let busy = false;
  const tick = async () => {
    const fence = election.currentFence();
    if (!fence || busy) return;
    busy = true;
    try {
      const state: LeaderState = { leader: nodeId, fencingRevision: fence.revision, at: new Date().toISOString() };
      await election.fencedTxn([etcd.put(KEYS.leaderState).value(JSON.stringify(state))]);
    } catch (err) {
      if (!(err instanceof StaleFenceError)) log.warn({ err: (err as Error).message }, "leader-state write failed");
    } finally {
      busy = false;
    }
  };
  election.on("elected", () => void tick());
  const timer = setInterval(() => void tick(), opts.intervalMs);
  return () => clearInterval(timer);
}
