// A key-value store on a compacted topic: every put is a message keyed by
// the key, a delete is a tombstone (a message with no value), and reads go
// through the log's key index. The set of live keys is kept in memory (as
// Bitcask's keydir does) so keys can be listed by prefix.
import { OffsetOldest, isLogError, jsonCodec, openTyped, stringCodec, type TLog } from '../../src/index.js';

export class KvStore<V> {
  /** Live keys and the offset of their newest value. */
  private readonly live = new Map<string, number>();
  /** The newest offset written per key, tombstones included: an older write landing late never wins. */
  private readonly newest = new Map<string, number>();

  private constructor(readonly log: TLog<string, V>) {}

  /** Opens (or creates) the store in `dir` and rebuilds the key set from the log. */
  static async open<V>(dir: string, options: { rollover?: number } = {}): Promise<KvStore<V>> {
    const log = await openTyped(
      dir,
      { createDirs: true, keyIndex: true, rollover: options.rollover },
      stringCodec,
      jsonCodec<V>(),
    );
    const store = new KvStore<V>(log);
    try {
      await store.rebuild();
    } catch (err) {
      await log.close();
      throw err;
    }
    return store;
  }

  async put(key: string, value: V): Promise<number> {
    const next = await this.log.publish([{ key, value }]);
    this.record(key, next - 1, true);
    return next - 1;
  }

  /** Writes a tombstone; answers whether the key was there. */
  async delete(key: string): Promise<boolean> {
    const existed = this.live.has(key);
    const next = await this.log.publish([{ key, valueEmpty: true }]);
    this.record(key, next - 1, false);
    return existed;
  }

  async get(key: string): Promise<V | undefined> {
    try {
      const message = await this.log.getByKey(key, false);
      return message.valueEmpty ? undefined : message.value;
    } catch (err) {
      if (isLogError(err, 'ERR_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  /** The live entries whose key starts with `prefix`, sorted by key. */
  async list(prefix = ''): Promise<Array<[string, V]>> {
    const keys = [...this.live.keys()].filter((k) => k.startsWith(prefix)).sort();
    return Promise.all(
      keys.map(async (key): Promise<[string, V]> => [key, (await this.log.get(this.live.get(key)!)).value]),
    );
  }

  get size(): number {
    return this.live.size;
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private async rebuild(): Promise<void> {
    const end = await this.log.nextOffset();
    let offset = OffsetOldest;
    while (offset < end) {
      const { messages, nextOffset } = await this.log.consume(offset, 1000);
      for (const m of messages) this.record(m.key, m.offset, !m.valueEmpty);
      if (nextOffset === offset) return;
      offset = nextOffset;
    }
  }

  private record(key: string, offset: number, live: boolean): void {
    if ((this.newest.get(key) ?? -1) > offset) return;
    this.newest.set(key, offset);
    if (live) this.live.set(key, offset);
    else this.live.delete(key);
  }
}
