// An unbounded async queue: producers push, one consumer iterates. Used for the outgoing side of
// bidirectional gRPC streams, where messages come from several event sources.
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private closed = false;
  private failure: unknown;

  push(item: T): boolean {
    if (this.closed) return false;
    const waiter = this.waiting;
    if (waiter) {
      this.waiting = undefined;
      waiter({ value: item, done: false });
    } else this.items.push(item);
    return true;
  }

  /** Ends the iteration after the queued items (or at once with `err`). */
  close(err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = err;
    if (err !== undefined) this.items.length = 0;
    const waiter = this.waiting;
    this.waiting = undefined;
    if (waiter) {
      if (err !== undefined) waiter(Promise.reject(err) as never);
      else waiter({ value: undefined, done: true });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.closed) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        this.waiting = (r) => (r instanceof Promise ? r.catch(reject) : resolve(r));
      });
      if (next.done) return;
      yield next.value;
    }
  }
}
