// Serializes the steps that change one key's file (commit, delete, quarantine): each is a few
// awaits long (rename, fsync), and two of them interleaving could, say, quarantine the new file of
// a key instead of the corrupt old one. Calls for different keys run freely.
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
