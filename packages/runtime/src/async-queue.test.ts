import { describe, expect, it } from "vitest";
import { AsyncQueue } from "./async-queue.js";

describe("AsyncQueue", () => {
  it("delivers pushed items in order, including ones pushed while the consumer waits", async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    const got: number[] = [];
    const done = (async () => {
      for await (const x of q) got.push(x);
    })();
    await new Promise((r) => setTimeout(r, 5));
    q.push(2);
    q.push(3);
    q.close();
    await done;
    expect(got).toEqual([1, 2, 3]);
    expect(q.push(4)).toBe(false);
  });

  it("fails the consumer when closed with an error", async () => {
    const q = new AsyncQueue<number>();
    const it = q[Symbol.asyncIterator]();
    const next = it.next();
    q.close(new Error("boom"));
    await expect(next).rejects.toThrow("boom");
  });
});
