// The gateway's Predictor: routes each prediction to the model's trainer (rendezvous ranking over
// the live trainers) and fails over down the ranking when a trainer is down or too slow. Bad rows
// and unknown models are answers, not failures: they are never retried elsewhere.
import { DmlError, type Logger } from "@dml/runtime";
import { PredictBatcher } from "./batcher.js";
import type { OnlinePrediction, Predictor } from "./predictor.js";
import { TrainerRanking, type TrainerNode } from "./routing.js";
import { TrainerClients } from "./trainer-clients.js";
import { fromTrainerError, shouldFailOver } from "./trainer-errors.js";

export interface LiveTrainers {
  live(role: "trainer"): TrainerNode[];
  /** NodeDirectory's membership events: a trainer that left gets its channel closed. */
  on?(event: "left", listener: (node: TrainerNode & { role: string }) => void): unknown;
}

export interface TrainerRouterOptions {
  directory: LiveTrainers;
  log: Logger;
  /** Tests pass fakes; by default one real channel per trainer address. */
  clients?: Pick<TrainerClients, "client" | "drop" | "close">;
  /** Per attempt; a first call may load the model from the stores, so it is generous. */
  attemptTimeoutMs?: number;
  /**
   * An attempt still unanswered after this long gets the next trainer in rank order started
   * alongside it, and the first answer wins (a hedged request): a paused or overloaded trainer
   * costs about this much instead of the whole attempt timeout. Default 1 s.
   */
  hedgeAfterMs?: number;
}

type Attempt = { id: number; trainer: TrainerNode; outcome: { ok: true; value: OnlinePrediction } | { ok: false; error: unknown } };

export class TrainerRouter implements Predictor {
  readonly clients: Pick<TrainerClients, "client" | "drop" | "close">;
  private readonly ranking = new TrainerRanking();
  private readonly timeoutMs: number;
  private readonly hedgeMs: number;
  /** Calls waiting on an attempt that may be hedged; tickHedges() wakes those silent too long. */
  private readonly hedges = new Set<HedgeWaiter>();
  private readonly hedgeTicker: NodeJS.Timeout;
  private readonly batcher = new PredictBatcher((modelId, rows) => this.callTrainers(modelId, rows));

  constructor(private readonly options: TrainerRouterOptions) {
    this.clients = options.clients ?? new TrainerClients();
    this.timeoutMs = options.attemptTimeoutMs ?? 15_000;
    this.hedgeMs = options.hedgeAfterMs ?? 1_000;
    this.hedgeTicker = setInterval(() => this.tickHedges(), Math.max(5, this.hedgeMs / 5));
    this.hedgeTicker.unref();
    options.directory.on?.("left", (node) => {
      if (node.role === "trainer") this.clients.drop(node.address);
    });
  }

  /** The live trainers in the order they are tried for `modelId`. */
  route(modelId: string): TrainerNode[] {
    return this.ranking.rank(modelId, this.options.directory.live("trainer"));
  }

  predict(modelId: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<OnlinePrediction> {
    return this.batcher.predict(modelId, rows);
  }

  /**
   * One call, to the model's trainer or, when it is down or too slow, the next ones in rank order:
   * a failed attempt starts the next at once, a silent one after hedgeAfterMs (both then run,
   * and the first answer wins; the others are cancelled).
   */
  private async callTrainers(modelId: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<OnlinePrediction> {
    const order = this.route(modelId);
    const running = new Map<number, { attempt: Promise<Attempt>; abort: AbortController }>();
    let next = 0;
    let lastError: unknown;
    // Hedges come from one shared ticker, not a timer per call: calls are thousands a second.
    const waiter: HedgeWaiter = { since: 0, wake: undefined };
    const start = () => {
      const id = next++;
      const trainer = order[id]!;
      waiter.since = performance.now(); // hedged once this attempt is silent for hedgeAfterMs
      const abort = new AbortController();
      // One controller for both ends of an attempt: its deadline, and losing to a hedge.
      const deadline = setTimeout(() => abort.abort(), this.timeoutMs);
      const attempt = this.attempt(trainer, modelId, rows, abort.signal).then(
        (value): Attempt => {
          clearTimeout(deadline);
          return { id, trainer, outcome: { ok: true, value } };
        },
        (error: unknown): Attempt => {
          clearTimeout(deadline);
          return { id, trainer, outcome: { ok: false, error } };
        },
      );
      running.set(id, { attempt, abort });
    };
    try {
      if (order.length > 0) start();
      while (running.size > 0) {
        const canHedge = next < order.length;
        let settled: Attempt | typeof HEDGE;
        if (running.size === 1 && !canHedge) settled = await running.values().next().value!.attempt;
        else {
          const attempts = [...running.values()].map((r) => r.attempt);
          if (canHedge) {
            this.hedges.add(waiter);
            settled = await Promise.race([...attempts, new Promise<typeof HEDGE>((resolve) => (waiter.wake = () => resolve(HEDGE)))]);
            this.hedges.delete(waiter);
          } else settled = await Promise.race(attempts);
        }
        if (settled === HEDGE) {
          start();
          continue;
        }
        running.delete(settled.id);
        if (settled.outcome.ok) return settled.outcome.value;
        const err = settled.outcome.error;
        if (!shouldFailOver(err)) throw fromTrainerError(err, modelId);
        lastError = err;
        this.options.log.warn({ modelId, trainer: settled.trainer.id, err: (err as Error).message }, "trainer failed a prediction; trying the next one");
        if (running.size === 0 && next < order.length) start();
      }
    } finally {
      this.hedges.delete(waiter);
      for (const r of running.values()) r.abort.abort(); // the attempts that lost
    }
    throw new DmlError(
      "UNAVAILABLE",
      order.length === 0 ? "no live trainer can serve predictions right now" : `no trainer could serve model ${modelId}: ${(lastError as Error).message}`,
      { modelId, trainersTried: order.slice(0, next).map((t) => t.id) },
    );
  }

  /** Wakes the calls whose attempts have been silent for hedgeAfterMs. */
  private tickHedges(): void {
    const due = performance.now() - this.hedgeMs;
    for (const w of this.hedges) {
      if (w.since <= due) {
        this.hedges.delete(w);
        w.wake?.();
      }
    }
  }

  private async attempt(trainer: TrainerNode, modelId: string, rows: ReadonlyArray<Record<string, unknown>>, signal: AbortSignal): Promise<OnlinePrediction> {
    const res = await this.clients.client(trainer.address).predict({ modelId, rows: rows as Record<string, unknown>[] }, { signal });
    if (res.probabilities.length === 0) return { predictions: res.predictions };
    const probabilities: Array<Record<string, number>> = new Array(res.probabilities.length);
    for (let i = 0; i < probabilities.length; i++) probabilities[i] = res.probabilities[i]!.probabilities;
    return { predictions: res.predictions, probabilities };
  }

  async evictEverywhere(modelId: string): Promise<void> {
    await Promise.all(
      this.options.directory.live("trainer").map((t) =>
        this.clients
          .client(t.address)
          .evictModel({ modelId }, { signal: AbortSignal.timeout(5_000) })
          .catch((err: Error) => this.options.log.debug({ modelId, trainer: t.id, err: err.message }, "evict failed (ignored)")),
      ),
    );
  }

  close(): void {
    clearInterval(this.hedgeTicker);
    this.clients.close();
  }
}

const HEDGE = Symbol("hedge");

interface HedgeWaiter {
  /** When the newest attempt started (performance.now()). */
  since: number;
  wake: (() => void) | undefined;
}
