// Consumer offsets kept in a klevdb log of their own, keyed by consumer name
// (Kafka's __consumer_offsets, embedded): a commit is one publish, loading
// is one getByKey, and compaction leaves only the newest commit per consumer.
import { compactUpdatesMulti, isLogError, open, type Log } from '../../src/index.js';

export class OffsetStore {
  private constructor(private readonly log: Log) {}

  static async open(dir: string): Promise<OffsetStore> {
    return new OffsetStore(await open(dir, { createDirs: true, keyIndex: true }));
  }

  /** The offset the consumer resumes at, or undefined when it never committed. */
  async load(consumer: string): Promise<number | undefined> {
    try {
      return Number((await this.log.getByKey(consumer)).value?.toString());
    } catch (err) {
      if (isLogError(err, 'ERR_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  /** Records that everything before `nextOffset` is processed. */
  async commit(consumer: string, nextOffset: number): Promise<void> {
    await this.log.publish([{ key: consumer, value: String(nextOffset) }]);
  }

  /** Drops the commits newer ones replace, then closes. */
  async close(): Promise<void> {
    try {
      await compactUpdatesMulti(this.log, new Date(Date.now() + 1));
    } finally {
      await this.log.close();
    }
  }
}
