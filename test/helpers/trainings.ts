// Helpers for the trainings end-to-end tests: records in etcd, waiting on a training's state.
import type { Etcd3 } from "etcd3";
import { TrainingRepository, trainingView, type TaskRecord, type TrainingView } from "@dml/catalog";
import { waitFor } from "@dml/testkit";

export async function readTraining(etcd: Etcd3, id: string): Promise<{ view: TrainingView; tasks: TaskRecord[] }> {
  const snap = await new TrainingRepository(etcd).require(id);
  return { view: trainingView(snap.spec, snap.tasks), tasks: snap.tasks };
}

export async function waitForTraining(etcd: Etcd3, id: string, done: (v: TrainingView, tasks: TaskRecord[]) => boolean, timeoutMs = 60_000, what = "training condition"): Promise<{ view: TrainingView; tasks: TaskRecord[] }> {
  let last: { view: TrainingView; tasks: TaskRecord[] } | undefined;
  try {
    return await waitFor(
      async () => {
        last = await readTraining(etcd, id);
        return done(last.view, last.tasks) ? last : undefined;
      },
      { timeoutMs, intervalMs: 100, message: what },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last view: ${JSON.stringify(last?.view.models.map((m) => [m.algorithm, m.state, m.attempts, m.trainer, m.error]))}`);
  }
}

export const isEnded = (v: TrainingView) => ["succeeded", "failed", "cancelled"].includes(v.state);

/** Every task ended, each with exactly one recorded outcome per attempt and at most one success. */
export function assertFinalRecord(tasks: readonly TaskRecord[]): string[] {
  const problems: string[] = [];
  for (const t of tasks) {
    if (!["succeeded", "failed", "cancelled"].includes(t.state)) problems.push(`${t.id} still ${t.state}`);
    const attempts = t.history.map((h) => h.attempt);
    if (new Set(attempts).size !== attempts.length) problems.push(`${t.id} has an attempt recorded twice: ${attempts.join(",")}`);
    const successes = t.history.filter((h) => h.outcome === "succeeded").length;
    if (successes > 1) problems.push(`${t.id} completed ${successes} times`);
    if (t.state === "succeeded" && successes !== 1) problems.push(`${t.id} succeeded without exactly one recorded success`);
    if (t.state === "failed" && !t.error) problems.push(`${t.id} failed without a reason`);
  }
  return problems;
}

/** A seeded binary classification CSV: `cols` numeric features and a label from a noisy rule. */
export function syntheticCsv(rows: number, cols: number, seed = 1): string {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const lines = [[...Array.from({ length: cols }, (_, j) => `f${j}`), "label"].join(",")];
  for (let i = 0; i < rows; i++) {
    const x = Array.from({ length: cols }, () => rand() * 2 - 1);
    const score = x[0]! * x[1]! + Math.sin(3 * x[2]!) + 0.5 * x[3]! - 0.3 * (x[4] ?? 0) + (rand() - 0.5) * 0.6;
    lines.push([...x.map((v) => v.toFixed(4)), score > 0 ? "yes" : "no"].join(","));
  }
  return lines.join("\n") + "\n";
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  at: number;
}

/** Reads Server-Sent Events from `url` until the stream ends or `stopAfter` events were read. */
export async function readSse(url: string, opts: { lastEventId?: string; stopAfter?: number } = {}): Promise<{ status: number; events: SseEvent[] }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: opts.lastEventId ? { "last-event-id": opts.lastEventId } : {}, signal: controller.signal });
  const events: SseEvent[] = [];
  if (!res.body || res.status !== 200) return { status: res.status, events };
  const decoder = new TextDecoder();
  let buffer = "";
  let current: Partial<SseEvent> & { data?: string } = {};
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === "") {
          if (current.data !== undefined) events.push({ ...current, data: current.data, at: Date.now() } as SseEvent);
          current = {};
          if (opts.stopAfter && events.length >= opts.stopAfter) {
            controller.abort();
            return { status: res.status, events };
          }
        } else if (line.startsWith(":")) continue;
        else {
          const colon = line.indexOf(":");
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, "");
          if (field === "data") current.data = current.data === undefined ? value : `${current.data}\n${value}`;
          else if (field === "id") current.id = value;
          else if (field === "event") current.event = value;
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return { status: res.status, events };
}

export async function postJson<T = unknown>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Waits until no trainer in /v1/cluster reports a running task (the trainers' own count). */
export async function waitNothingRunning(base: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    async () => {
      const res = (await (await fetch(`${base}/v1/cluster`)).json()) as { nodes: Array<{ role: string; stats?: Record<string, number> }> };
      const trainers = res.nodes.filter((n) => n.role === "trainer");
      return trainers.length > 0 && trainers.every((n) => n.stats?.["runningTasks"] === 0);
    },
    { timeoutMs, intervalMs: 200, message: "every trainer idle (stats.runningTasks = 0)" },
  );
}
