/**
 * One-at-a-time per key. The version check and the publish of an append are
 * two steps with an await between them; holding the stream's turn across
 * both is what makes them atomic for every writer in the process (the log's
 * directory lock keeps other processes out).
 */
export class KeyedMutex {
  /** Per busy key, the callers waiting for their turn; an idle key has no entry. */
  private readonly waiting = new Map<string, Array<() => void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const queue = this.waiting.get(key);
    // Most calls find the key idle: they start at once, with no promise of their own.
    if (!queue) {
      this.waiting.set(key, []);
      return this.release(key, work);
    }
    return new Promise<void>((resolve) => queue.push(resolve)).then(() => this.release(key, work));
  }

  private async release<T>(key: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      const next = this.waiting.get(key)!.shift();
      if (next) next();
      else this.waiting.delete(key);
    }
  }
}
