/**
 * lmdb 3.5.6 as an event log: a `messages` db keyed by offset (uint32 keys,
 * value = time(8, float64: exact for microsecond integers) keylen(4) key
 * value) and a `keys` db mapping each key to its last offset. One publish is
 * one synchronous write transaction, so batch 1 really commits per message
 * rather than letting lmdb-js coalesce writes across calls. noSync unless
 * autoSync. There is no time db: index times rise with the offset, so
 * getByTime binary-searches the messages db, reading only the time field.
 */
import fs from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { LogError } from '../../src/storage/errors.js';
import type { ConsumeResult, Message } from '../../src/storage/types.js';
import type { BenchMessage } from '../workload.js';
import { type Peer, type Store, type StoreOptions, firstAtOrAfter, toMessage } from './peer.js';

const TIME_BYTES = 8;
const VALUE_HEADER_BYTES = TIME_BYTES + 4;

function decode(offset: number, buf: Buffer): Message {
  const keyEnd = VALUE_HEADER_BYTES + buf.readUInt32BE(TIME_BYTES);
  return toMessage(offset, buf.readDoubleBE(0), buf.subarray(VALUE_HEADER_BYTES, keyEnd), buf.subarray(keyEnd));
}

class LmdbStore implements Store {
  private readonly env: RootDatabase;
  private readonly messages: Database<Buffer, number>;
  private readonly keys: Database<number, string>;
  private next: number;

  constructor(dir: string, options: StoreOptions) {
    this.env = open({ path: dir, noSync: !options.autoSync, maxDbs: 2, compression: false });
    this.messages = this.env.openDB<Buffer, number>({ name: 'messages', keyEncoding: 'uint32', encoding: 'binary' });
    this.keys = this.env.openDB<number, string>({ name: 'keys' });
    let next = 0;
    for (const last of this.messages.getKeys({ reverse: true, limit: 1 })) next = last + 1;
    this.next = next;
  }

  async publish(messages: BenchMessage[]): Promise<number> {
    this.env.transactionSync(() => {
      for (const { key, value, timeMicros } of messages) {
        const offset = this.next++;
        const buf = Buffer.allocUnsafe(VALUE_HEADER_BYTES + key.length + value.length);
        buf.writeDoubleBE(timeMicros, 0);
        buf.writeUInt32BE(key.length, TIME_BYTES);
        key.copy(buf, VALUE_HEADER_BYTES);
        value.copy(buf, VALUE_HEADER_BYTES + key.length);
        this.messages.putSync(offset, buf);
        this.keys.putSync(key.toString('latin1'), offset);
      }
    });
    return this.next;
  }

  async consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    const messages: Message[] = [];
    for (const { key, value } of this.messages.getRange({ start: offset, limit: maxCount })) {
      messages.push(decode(key, value));
    }
    const nextOffset = messages.length > 0 ? messages[messages.length - 1].offset + 1 : Math.max(offset, this.next);
    return { nextOffset, messages };
  }

  async get(offset: number): Promise<Message> {
    return this.read(offset);
  }

  async getByKey(key: string): Promise<Message> {
    const offset = this.keys.get(key);
    if (offset === undefined) throw new LogError('ERR_NOT_FOUND', 'lmdb: key not found');
    return this.read(offset);
  }

  async getByTime(start: Date): Promise<Message> {
    // The fast buffer is overwritten by the next get; only its first 8 bytes are read, at once.
    const low = firstAtOrAfter(this.next, start.getTime() * 1000, (offset) =>
      this.messages.getBinaryFast(offset)!.readDoubleBE(0),
    );
    if (low === this.next) throw new LogError('ERR_NOT_FOUND', 'lmdb: time after the last message');
    return this.read(low);
  }

  /**
   * A copy the caller may keep and change, as klevdb's get returns, made the
   * fastest way lmdb-js allows: the value is read into lmdb's reusable
   * buffer and copied out once into a pooled Buffer (0.75x the CPU time of
   * getBinary, which copies it out a second time into a new ArrayBuffer).
   */
  private read(offset: number): Message {
    const fast = this.messages.getBinaryFast(offset);
    if (!fast) throw new LogError('ERR_NOT_FOUND', `lmdb: offset ${offset} not found`);
    // The reusable buffer's `length` is the value's; its memory is larger.
    const buf = Buffer.allocUnsafe(fast.length);
    buf.set(new Uint8Array(fast.buffer, fast.byteOffset, fast.length));
    return decode(offset, buf);
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}

export const peer: Peer = {
  name: 'lmdb',
  setup:
    'lmdb 3.5.6: messages db (uint32 offset keys, binary values) + keys db (key -> last offset), one sync txn per publish, noSync (synced with autoSync), getByTime by binary search',
  open: async (dir, options) => {
    fs.mkdirSync(dir, { recursive: true });
    return new LmdbStore(dir, options);
  },
};
