import { describe, expect, it } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { createLogger, DmlError, rankStores } from "@dml/runtime";
import { TrainerRouter } from "./trainer-router.js";
import type { TrainerClient } from "./trainer-clients.js";

const trainers = [1, 2, 3, 4].map((i) => ({ id: `trainer-${i}`, address: `127.0.0.1:${9000 + i}` }));
const log = createLogger({ service: "test", node: "t", level: "silent" });

type Behaviour = (address: string) => Promise<unknown>;

function router(behaviour: Behaviour, live = trainers) {
  const calls: string[] = [];
  const client = (address: string) =>
    ({
      predict: () => {
        calls.push(address);
        return behaviour(address);
      },
      evictModel: () => {
        calls.push(address);
        return behaviour(address);
      },
    }) as unknown as TrainerClient;
  const r = new TrainerRouter({ directory: { live: () => live }, log, clients: { client, drop: () => undefined, close: () => undefined } });
  return { r, calls };
}

const ok = async () => ({ predictions: ["x"], probabilities: [{ probabilities: { x: 1 } }], cacheHit: true });

describe("TrainerRouter", () => {
  it("sends a model to its top rendezvous trainer, the same one every time", async () => {
    const { r, calls } = router(ok);
    for (let i = 0; i < 3; i++) expect(await r.predict("m-1", [{ a: 1 }])).toEqual({ predictions: ["x"], probabilities: [{ x: 1 }] });
    const top = rankStores("m-1", trainers)[0]!.address;
    expect(calls).toEqual([top, top, top]);
    // Different models spread over the trainers.
    const tops = new Set(Array.from({ length: 40 }, (_, i) => r.route(`model-${i}`)[0]!.id));
    expect(tops.size).toBeGreaterThan(1);
  });

  it("fails over down the ranking when trainers are unavailable or time out", async () => {
    const order = rankStores("m-2", trainers).map((t) => t.address);
    const { r, calls } = router(async (address) => {
      if (address === order[0]) throw new ClientError("/dml.trainer.v1.TrainerService/Predict", Status.UNAVAILABLE, "connection refused");
      if (address === order[1]) throw new ClientError("/dml.trainer.v1.TrainerService/Predict", Status.DEADLINE_EXCEEDED, "slow");
      return ok();
    });
    expect((await r.predict("m-2", [{}])).predictions).toEqual(["x"]);
    expect(calls).toEqual(order.slice(0, 3));
  });

  for (const [status, code] of [
    [Status.INVALID_ARGUMENT, "INVALID_ARGUMENT"],
    [Status.NOT_FOUND, "NOT_FOUND"],
  ] as const) {
    it(`never retries ${code} elsewhere and passes the trainer's message on`, async () => {
      const { r, calls } = router(async () => {
        throw new ClientError("/dml.trainer.v1.TrainerService/Predict", status, 'row 3: missing column "a"');
      });
      const err = await r.predict("m-3", [{}]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DmlError);
      expect(err).toMatchObject({ code, message: 'row 3: missing column "a"' });
      expect(calls).toHaveLength(1);
    });
  }

  describe("hedging: a silent attempt gets the next trainer started alongside", () => {
    type Fake = (address: string, signal: AbortSignal) => Promise<unknown>;
    function hedged(fake: Fake) {
      const calls: string[] = [];
      const aborted: string[] = [];
      const client = (address: string) =>
        ({
          predict: (_req: unknown, opts: { signal: AbortSignal }) => {
            calls.push(address);
            opts.signal.addEventListener("abort", () => aborted.push(address), { once: true });
            return fake(address, opts.signal);
          },
        }) as unknown as TrainerClient;
      const r = new TrainerRouter({ directory: { live: () => trainers }, log, clients: { client, drop: () => undefined, close: () => undefined }, hedgeAfterMs: 50 });
      return { r, calls, aborted };
    }
    /** Never answers; rejects once aborted, as a gRPC call does. */
    const hang = (_: string, signal: AbortSignal) => new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
    const after = (ms: number, value: () => Promise<unknown>) => new Promise((resolve) => setTimeout(resolve, ms)).then(value);

    it("answers from the next trainer about hedgeAfterMs after the first went silent (a paused trainer), and cancels the first", async () => {
      const order = rankStores("m-h", trainers).map((t) => t.address);
      const { r, calls, aborted } = hedged((address, signal) => (address === order[0] ? hang(address, signal) : ok()));
      const started = Date.now();
      expect((await r.predict("m-h", [{}])).predictions).toEqual(["x"]);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(45);
      expect(took).toBeLessThan(5_000); // not the 15 s attempt timeout
      expect(calls).toEqual(order.slice(0, 2));
      expect(aborted).toContain(order[0]);
    });

    it("takes the first answer: a slow first trainer that answers before the hedge wins, and the hedge is cancelled", async () => {
      const order = rankStores("m-s", trainers).map((t) => t.address);
      const { r, calls, aborted } = hedged((address, signal) => (address === order[0] ? after(80, ok) : hang(address, signal)));
      expect((await r.predict("m-s", [{}])).predictions).toEqual(["x"]);
      expect(calls).toEqual(order.slice(0, 2));
      expect(aborted).toEqual([order[1]]);
    });

    it("passes a bad-row answer from the hedge straight on, cancelling the silent first", async () => {
      const order = rankStores("m-b", trainers).map((t) => t.address);
      const { r, aborted } = hedged((address, signal) =>
        address === order[0] ? hang(address, signal) : Promise.reject(new ClientError("/x", Status.INVALID_ARGUMENT, 'row 0: missing column "a"')),
      );
      await expect(r.predict("m-b", [{}])).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: 'row 0: missing column "a"' });
      expect(aborted).toContain(order[0]);
    });
  });

  it("is UNAVAILABLE when every trainer fails, or when there is none", async () => {
    const down = router(async () => {
      throw new ClientError("/x", Status.UNAVAILABLE, "down");
    });
    await expect(down.r.predict("m", [{}])).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(down.calls).toHaveLength(trainers.length);
    await expect(router(ok, []).r.predict("m", [{}])).rejects.toMatchObject({ code: "UNAVAILABLE", message: /no live trainer/ });
  });

  it("re-ranks when the membership changes: only the departed trainer's models move", async () => {
    let live = trainers;
    const { r } = router(ok, trainers);
    (r as unknown as { options: { directory: { live: () => typeof trainers } } }).options.directory.live = () => live;
    const before = Array.from({ length: 50 }, (_, i) => r.route(`m-${i}`)[0]!.id);
    live = trainers.filter((t) => t.id !== "trainer-2");
    const after = Array.from({ length: 50 }, (_, i) => r.route(`m-${i}`)[0]!.id);
    for (let i = 0; i < 50; i++) {
      if (before[i] !== "trainer-2") expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe("trainer-2");
    }
  });

  it("asks every live trainer to evict, ignoring failures", async () => {
    const { r, calls } = router(async (address) => {
      if (address === trainers[1]!.address) throw new ClientError("/x", Status.UNAVAILABLE, "down");
      return { evicted: true };
    });
    await r.evictEverywhere("m-4");
    expect(calls.sort()).toEqual(trainers.map((t) => t.address).sort());
  });
});
