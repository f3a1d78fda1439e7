import { describe, expect, it } from "vitest";
import { newTaskRecord, type TaskRecord } from "@dml/catalog";
import { assigned, attemptLost, cancelled, completion, isCurrent, withProgress } from "./transitions.js";

const fresh = (): TaskRecord => newTaskRecord("t1", { modelId: "m1", algorithm: "knn", params: {} }, 0);

describe("task transitions", () => {
  it("numbers attempts from 1 and only the current running attempt may report", () => {
    const a1 = assigned(fresh(), "trainer-1");
    expect(a1.attempt).toBe(1);
    expect(a1.state).toBe("running");
    expect(isCurrent(a1, 1)).toBe(true);
    expect(isCurrent(a1, 0)).toBe(false);
    const lost = attemptLost(a1, "lost", "trainer-1 died");
    expect(lost.state).toBe("queued");
    expect(isCurrent(lost, 1)).toBe(false);
    const a2 = assigned(lost, "trainer-2");
    expect(a2.attempt).toBe(2);
    expect(completion(a2, 1, { kind: "succeeded", metrics: { accuracy: 1 } }, false)).toMatchObject({ verdict: "stale" });
  });

  it("fails a task for good after three lost attempts, with the reason", () => {
    let t = fresh();
    for (let i = 1; i <= 3; i++) t = attemptLost(assigned(t, `trainer-${i}`), "lost", `trainer-${i} died`);
    expect(t.state).toBe("failed");
    expect(t.error).toContain("failed on 3 attempts");
    expect(t.error).toContain("trainer-3 died");
    expect(t.history.map((h) => h.attempt)).toEqual([1, 2, 3]);
  });

  it("fails at once on a non-retryable failure", () => {
    const v = completion(assigned(fresh(), "x"), 1, { kind: "failed", error: "target has a single class", retryable: false }, false);
    expect(v.verdict).toBe("record");
    if (v.verdict === "record") {
      expect(v.next.state).toBe("failed");
      expect(v.next.error).toBe("target has a single class");
    }
  });

  it("records a success once; a repeat is a duplicate and a different outcome is stale", () => {
    const running = assigned(fresh(), "x");
    const v = completion(running, 1, { kind: "succeeded", metrics: { accuracy: 0.9 } }, false);
    if (v.verdict !== "record") throw new Error("expected a record");
    expect(v.next.state).toBe("succeeded");
    expect(v.next.completedAttempt).toBe(1);
    expect(completion(v.next, 1, { kind: "succeeded", metrics: { accuracy: 0.9 } }, false).verdict).toBe("duplicate");
    expect(completion(v.next, 1, { kind: "failed", error: "x", retryable: true }, false).verdict).toBe("stale");
    expect(completion(v.next, 2, { kind: "succeeded", metrics: {} }, false).verdict).toBe("stale");
  });

  it("a cancelled attempt ends the task only when the training was cancelled", () => {
    const running = assigned(fresh(), "x");
    const asked = completion(running, 1, { kind: "cancelled" }, true);
    expect(asked.verdict === "record" && asked.next.state).toBe("cancelled");
    const unasked = completion(running, 1, { kind: "cancelled" }, false);
    expect(unasked.verdict === "record" && unasked.next.state).toBe("queued");
    expect(cancelled(fresh(), "training cancelled").history).toEqual([]);
  });

  it("keeps progress monotonic within an attempt", () => {
    const t = withProgress(withProgress(assigned(fresh(), "x"), 0.5, "half"), 0.2, "late");
    expect(t.progress).toBe(0.5);
    expect(t.message).toBe("late");
  });
});
