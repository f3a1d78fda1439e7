import { describe, expect, it } from "vitest";
import { DmlError } from "@dml/runtime";
import { PredictBatcher } from "./batcher.js";
import type { OnlinePrediction } from "./predictor.js";

type Rows = ReadonlyArray<Record<string, unknown>>;

/** A fake trainer: predicts row.x * 10 (and p = x), answering when release() is called. */
function fakeTrainer() {
  const calls: Array<{ modelId: string; rows: Rows; release: () => void }> = [];
  const send = (modelId: string, rows: Rows) =>
    new Promise<OnlinePrediction>((resolve, reject) => {
      calls.push({
        modelId,
        rows,
        release: () => {
          const bad = rows.findIndex((r) => typeof r["x"] !== "number");
          if (bad >= 0) reject(new DmlError("INVALID_ARGUMENT", `row ${bad}: bad x`));
          else resolve({ predictions: rows.map((r) => (r["x"] as number) * 10), probabilities: rows.map((r) => ({ a: r["x"] as number })) });
        },
      });
    });
  return { calls, send };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("PredictBatcher", () => {
  it("sends an idle model's request at once, and batches the ones that arrive meanwhile", async () => {
    const t = fakeTrainer();
    const b = new PredictBatcher(t.send);
    const first = b.predict("m", [{ x: 1 }]);
    expect(t.calls).toHaveLength(1);
    const queued = [b.predict("m", [{ x: 2 }, { x: 3 }]), b.predict("m", [{ x: 4 }])];
    expect(t.calls).toHaveLength(1);
    t.calls[0]!.release();
    expect(await first).toEqual({ predictions: [10], probabilities: [{ a: 1 }] });
    await tick();
    expect(t.calls).toHaveLength(2);
    expect(t.calls[1]!.rows).toEqual([{ x: 2 }, { x: 3 }, { x: 4 }]);
    t.calls[1]!.release();
    expect(await Promise.all(queued)).toEqual([
      { predictions: [20, 30], probabilities: [{ a: 2 }, { a: 3 }] },
      { predictions: [40], probabilities: [{ a: 4 }] },
    ]);
  });

  it("keeps models apart", async () => {
    const t = fakeTrainer();
    const b = new PredictBatcher(t.send);
    void b.predict("m1", [{ x: 1 }]);
    void b.predict("m2", [{ x: 1 }]);
    expect(t.calls.map((c) => c.modelId)).toEqual(["m1", "m2"]);
  });

  it("caps a batch at maxRows", async () => {
    const t = fakeTrainer();
    const b = new PredictBatcher(t.send, { maxRows: 3 });
    void b.predict("m", [{ x: 0 }]);
    const queued = [b.predict("m", [{ x: 1 }, { x: 2 }]), b.predict("m", [{ x: 3 }, { x: 4 }])];
    t.calls[0]!.release();
    await tick();
    expect(t.calls[1]!.rows).toHaveLength(2);
    t.calls[1]!.release();
    await tick();
    expect(t.calls[2]!.rows).toEqual([{ x: 3 }, { x: 4 }]);
    t.calls[2]!.release();
    expect((await Promise.all(queued)).map((r) => r.predictions)).toEqual([
      [10, 20],
      [30, 40],
    ]);
  });

  it("gives each request of a refused batch its own answer: only the bad one fails, naming its own row", async () => {
    const t = fakeTrainer();
    const b = new PredictBatcher(t.send);
    void b.predict("m", [{ x: 0 }]);
    const good = b.predict("m", [{ x: 1 }]);
    const bad = b.predict("m", [{ x: 2 }, { x: "two" }]);
    t.calls[0]!.release();
    await tick();
    t.calls[1]!.release(); // the batch fails on its row 2
    await tick();
    for (const c of t.calls.slice(2)) c.release();
    expect((await good).predictions).toEqual([10]);
    await expect(bad).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: "row 1: bad x" });
  });
});
