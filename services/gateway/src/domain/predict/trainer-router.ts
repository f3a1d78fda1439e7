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
  private readonly batcher = new PredictBatcher((modelId, rows) => this.callTrainers(modelId, rows));

  constructor(private readonly options: TrainerRouterOptions) {
    this.clients = options.clients ?? new TrainerClients();
    this.timeoutMs = options.attemptTimeoutMs ?? 15_000;
    this.hedgeMs = options.hedgeAfterMs ?? 1_000;
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
    const start = () => {
      const id = next++;
      const trainer = order[id]!;
      const abort = new AbortController();
      const attempt = this.attempt(trainer, modelId, rows, AbortSignal.any([abort.signal, AbortSignal.timeout(this.timeoutMs)])).then(
        (value): Attempt => ({ id, trainer, outcome: { ok: true, value } }),
        (error: unknown): Attempt => ({ id, trainer, outcome: { ok: false, error } }),
      );
      running.set(id, { attempt, abort });
    };
    const hedge = new AbortController();
    try {
      if (order.length > 0) start();
      while (running.size > 0) {
        const timer = next < order.length ? hedgeTimer(this.hedgeMs, hedge.signal) : undefined;
        const settled = await Promise.race([...[...running.values()].map((r) => r.attempt), ...(timer ? [timer] : [])]);
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
      hedge.abort(); // the pending hedge timer
      for (const r of running.values()) r.abort.abort(); // the attempts that lost
    }
    throw new DmlError(
      "UNAVAILABLE",
      order.length === 0 ? "no live trainer can serve predictions right now" : `no trainer could serve model ${modelId}: ${(lastError as Error).message}`,
      { modelId, trainersTried: order.slice(0, next).map((t) => t.id) },
    );
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
    this.clients.close();
  }
}

const HEDGE = Symbol("hedge");

/** Resolves with HEDGE after `ms`, unless `signal` aborts first (then never). */
function hedgeTimer(ms: number, signal: AbortSignal): Promise<typeof HEDGE> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(HEDGE), ms);
    signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  });
}
