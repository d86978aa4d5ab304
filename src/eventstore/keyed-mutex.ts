/**
 * One-at-a-time per key. The version check and the publish of an append are
 * two steps with an await between them; holding the stream's turn across
 * both is what makes them atomic for every writer in the process (the log's
 * directory lock keeps other processes out).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => done) : done;
    this.tails.set(key, tail);
    try {
      if (previous) await previous;
      return await work();
    } finally {
      release();
      // The last in line cleans up, so idle streams cost nothing.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
