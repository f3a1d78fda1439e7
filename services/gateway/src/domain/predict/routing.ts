// Which trainer serves a model: rendezvous hashing of the model id over the live trainers, so a
// model stays hot in one trainer's cache and only the models of a trainer that leaves move. The
// rest of the ranking is the failover order.
import { rankStores } from "@dml/runtime";

export interface TrainerNode {
  id: string;
  address: string;
}

/**
 * Memoises rankings per model for the current membership (a ranking costs one hash per trainer,
 * and the membership rarely changes); bounded so that many distinct ids cannot grow it forever.
 */
export class TrainerRanking {
  private membership = "";
  private readonly ranked = new Map<string, TrainerNode[]>();

  constructor(private readonly maxEntries = 10_000) {}

  rank(modelId: string, trainers: readonly TrainerNode[]): TrainerNode[] {
    let key = "";
    for (const t of trainers) key += `${t.id}@${t.address},`;
    if (key !== this.membership) {
      this.membership = key;
      this.ranked.clear();
    }
    let order = this.ranked.get(modelId);
    if (!order) {
      if (this.ranked.size >= this.maxEntries) this.ranked.clear();
      order = rankStores(modelId, trainers);
      this.ranked.set(modelId, order);
    }
    return order;
  }
}
