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
}

export class TrainerRouter implements Predictor {
  readonly clients: Pick<TrainerClients, "client" | "drop" | "close">;
  private readonly ranking = new TrainerRanking();
  private readonly timeoutMs: number;
  private readonly batcher = new PredictBatcher((modelId, rows) => this.callTrainers(modelId, rows));

  constructor(private readonly options: TrainerRouterOptions) {
    this.clients = options.clients ?? new TrainerClients();
    this.timeoutMs = options.attemptTimeoutMs ?? 15_000;
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

  /** One call, to the model's trainer or, when it is down or too slow, the next ones in rank order. */
  private async callTrainers(modelId: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<OnlinePrediction> {
    const order = this.route(modelId);
    let lastError: unknown;
    for (const trainer of order) {
      try {
        const res = await this.clients.client(trainer.address).predict({ modelId, rows: rows as Record<string, unknown>[] }, { signal: AbortSignal.timeout(this.timeoutMs) });
        if (res.probabilities.length === 0) return { predictions: res.predictions };
        const probabilities: Array<Record<string, number>> = new Array(res.probabilities.length);
        for (let i = 0; i < probabilities.length; i++) probabilities[i] = res.probabilities[i]!.probabilities;
        return { predictions: res.predictions, probabilities };
      } catch (err) {
        if (!shouldFailOver(err)) throw fromTrainerError(err, modelId);
        lastError = err;
        this.options.log.warn({ modelId, trainer: trainer.id, err: (err as Error).message }, "trainer failed a prediction; trying the next one");
      }
    }
    throw new DmlError(
      "UNAVAILABLE",
      order.length === 0 ? "no live trainer can serve predictions right now" : `no trainer could serve model ${modelId}: ${(lastError as Error).message}`,
      { modelId, trainersTried: order.map((t) => t.id) },
    );
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
