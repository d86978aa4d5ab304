/**
 * The raw ceiling: the least work a hand-written append log in Node can do
 * with klevdb's bytes, so "klevdb / raw" says how much klevdb's own machinery
 * costs.
 *
 * - Writes: the same V2 record klevdb writes (crc32c(4) offset(8) time(8)
 *   keylen(4) vallen(4) key value trailer DEADBEEFFEEDFACE, the CRC-32C over
 *   every byte after the CRC field) and the same 32-byte index item (offset,
 *   position, monotonic time, FNV-1a 64 key hash), behind the same 8-byte file
 *   headers. A batch is encoded into one buffer and appended with one
 *   fs.writeSync of the log: as issue 17's ceiling, the index items stay in
 *   memory and reach the `index` file only when it is closed (klevdb and Go
 *   klevdb write both files per publish). autoSync writes the index per
 *   publish too and adds an fdatasync of each file, both at once on libuv's
 *   pool (on ext4 they can share one journal commit, so two in a row would be
 *   an unfairly slow ceiling).
 * - Reads: fs.readSync of exactly the bytes wanted, at a position known from
 *   memory, then the same CRC and trailer checks, then the same Message shape
 *   (key and value are views into the read buffer).
 * - Lookups: positions and index times live in Float64Arrays. get = one read;
 *   getByKey = Map<string, offset> + one read; getByTime = binary search
 *   over the times + one read.
 * - No segments, no rollover, no locking, no recovery: one pair of files.
 *   Reopening rebuilds the arrays from the index file and the key map from a
 *   scan of the log, because the index holds only key hashes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32c } from '@node-rs/crc32';
import { LogError } from '../../src/storage/errors.js';
import type { ConsumeResult, Message } from '../../src/storage/types.js';
import type { BenchMessage } from '../workload.js';
import { type Peer, type Store, type StoreOptions, firstAtOrAfter, toMessage } from './peer.js';

const LOG_HEADER = Buffer.from([0xff, 0x6b, 0x6c, 0x65, 0x76, 0x73, 0x01, 0x00]);
/** Flags 0x03: both the time and the key index, as the klevdb peer opens. */
const INDEX_HEADER = Buffer.from([0xff, 0x6b, 0x6c, 0x65, 0x76, 0x69, 0x01, 0x03]);
const RECORD_HEADER_BYTES = 28;
const TRAILER_HIGH = 0xdeadbeef;
const TRAILER_LOW = 0xfeedface;
const RECORD_OVERHEAD = RECORD_HEADER_BYTES + 8;
const ITEM_BYTES = 32;
const SCAN_CHUNK_BYTES = 1 << 20;
const TWO_32 = 4294967296;
const fdatasync = promisify(fs.fdatasync);

function writeUint64(buf: Buffer, value: number, at: number): void {
  buf.writeUInt32BE(Math.floor(value / TWO_32), at);
  buf.writeUInt32BE(value >>> 0, at + 4);
}

function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

/** FNV-1a 64 in two 32-bit halves: prime 2^40 + 0x1b3, so hash << 40 only moves `low` into `high`. */
function writeFnv1a64(buf: Buffer, key: Buffer, at: number): void {
  let low = 0x84222325;
  let high = 0xcbf29ce4;
  for (let i = 0; i < key.length; i++) {
    low ^= key[i];
    const product = (low >>> 0) * 0x1b3;
    high = (high * 0x1b3 + Math.floor(product / TWO_32) + ((low << 8) >>> 0)) >>> 0;
    low = product >>> 0;
  }
  buf.writeUInt32BE(high, at);
  buf.writeUInt32BE(low >>> 0, at + 4);
}

/** Grows by doubling, like the arrays a hand-written index keeps. */
function grow(array: Float64Array<ArrayBuffer>, needed: number): Float64Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const next = new Float64Array(Math.max(needed, array.length * 2));
  next.set(array);
  return next;
}

function decodeRecord(buf: Buffer, at: number): Message {
  const keyLength = buf.readUInt32BE(at + 20);
  const valueLength = buf.readUInt32BE(at + 24);
  const keyStart = at + RECORD_HEADER_BYTES;
  const valueStart = keyStart + keyLength;
  const end = valueStart + valueLength + 8;
  if (crc32c(buf.subarray(at + 4, end)) !== buf.readUInt32BE(at)) {
    throw new LogError('ERR_CORRUPTED', 'raw: crc failed');
  }
  if (buf.readUInt32BE(end - 8) !== TRAILER_HIGH || buf.readUInt32BE(end - 4) !== TRAILER_LOW) {
    throw new LogError('ERR_CORRUPTED', 'raw: bad trailer');
  }
  return toMessage(
    readInt64(buf, at + 4),
    readInt64(buf, at + 12),
    buf.subarray(keyStart, valueStart),
    buf.subarray(valueStart, end - 8),
  );
}

class RawStore implements Store {
  private positions = new Float64Array(1024);
  private times = new Float64Array(1024);
  private readonly keys = new Map<string, number>();
  private next = 0;
  private logSize = LOG_HEADER.length;
  private logScratch = Buffer.alloc(0);
  private indexScratch = Buffer.alloc(0);
  private unwrittenIndex = Buffer.alloc(0);
  private unwrittenBytes = 0;

  constructor(
    private readonly logFd: number,
    private readonly indexFd: number,
    private readonly readFd: number,
    private readonly autoSync: boolean,
  ) {}

  static open(dir: string, options: StoreOptions): RawStore {
    fs.mkdirSync(dir, { recursive: true });
    const logPath = path.join(dir, 'log');
    const indexPath = path.join(dir, 'index');
    const fresh = !fs.existsSync(logPath);
    const store = new RawStore(
      fs.openSync(logPath, 'a'),
      fs.openSync(indexPath, 'a'),
      fs.openSync(logPath, 'r'),
      options.autoSync,
    );
    if (fresh) {
      fs.writeSync(store.logFd, LOG_HEADER);
      fs.writeSync(store.indexFd, INDEX_HEADER);
    } else {
      store.load(indexPath);
    }
    return store;
  }

  private load(indexPath: string): void {
    const items = (fs.statSync(indexPath).size - INDEX_HEADER.length) / ITEM_BYTES;
    this.positions = new Float64Array(items);
    this.times = new Float64Array(items);
    const chunk = Buffer.allocUnsafe(SCAN_CHUNK_BYTES - (SCAN_CHUNK_BYTES % ITEM_BYTES));
    const indexFd = fs.openSync(indexPath, 'r');
    for (let item = 0; item < items;) {
      const read = fs.readSync(indexFd, chunk, 0, chunk.length, INDEX_HEADER.length + item * ITEM_BYTES);
      for (let at = 0; at + ITEM_BYTES <= read; at += ITEM_BYTES, item++) {
        this.positions[item] = readInt64(chunk, at + 8);
        this.times[item] = readInt64(chunk, at + 16);
      }
    }
    fs.closeSync(indexFd);
    this.next = items;
    this.logSize = fs.fstatSync(this.readFd).size;
    this.loadKeys(chunk);
  }

  private loadKeys(chunk: Buffer): void {
    for (let offset = 0; offset < this.next;) {
      const start = this.positions[offset];
      const read = fs.readSync(this.readFd, chunk, 0, chunk.length, start);
      const first = offset;
      for (; offset < this.next && this.endOf(offset) - start <= read; offset++) {
        const at = this.positions[offset] - start;
        const keyLength = chunk.readUInt32BE(at + 20);
        this.keys.set(chunk.toString('latin1', at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + keyLength), offset);
      }
      if (offset === first) throw new Error(`raw: record ${offset} is larger than the scan chunk`);
    }
  }

  private endOf(offset: number): number {
    return offset + 1 < this.next ? this.positions[offset + 1] : this.logSize;
  }

  async publish(messages: BenchMessage[]): Promise<number> {
    let logBytes = 0;
    for (const m of messages) logBytes += RECORD_OVERHEAD + m.key.length + m.value.length;
    const indexBytes = messages.length * ITEM_BYTES;
    if (this.logScratch.length < logBytes) this.logScratch = Buffer.allocUnsafe(logBytes * 2);
    if (this.indexScratch.length < indexBytes) this.indexScratch = Buffer.allocUnsafe(indexBytes * 2);
    const log = this.logScratch;
    const index = this.indexScratch;
    this.positions = grow(this.positions, this.next + messages.length);
    this.times = grow(this.times, this.next + messages.length);
    let lastTime = this.next > 0 ? this.times[this.next - 1] : 0;
    let at = 0;
    for (let i = 0; i < messages.length; i++) {
      const { key, value, timeMicros } = messages[i];
      const offset = this.next + i;
      const end = at + RECORD_OVERHEAD + key.length + value.length;
      writeUint64(log, offset, at + 4);
      writeUint64(log, timeMicros, at + 12);
      log.writeUInt32BE(key.length, at + 20);
      log.writeUInt32BE(value.length, at + 24);
      key.copy(log, at + RECORD_HEADER_BYTES);
      value.copy(log, at + RECORD_HEADER_BYTES + key.length);
      log.writeUInt32BE(TRAILER_HIGH, end - 8);
      log.writeUInt32BE(TRAILER_LOW, end - 4);
      log.writeUInt32BE(crc32c(log.subarray(at + 4, end)), at);

      lastTime = Math.max(lastTime, timeMicros);
      const item = i * ITEM_BYTES;
      writeUint64(index, offset, item);
      writeUint64(index, this.logSize + at, item + 8);
      writeUint64(index, lastTime, item + 16);
      writeFnv1a64(index, key, item + 24);

      this.positions[offset] = this.logSize + at;
      this.times[offset] = lastTime;
      // latin1 maps every byte to one char, so any key survives the trip to a string.
      this.keys.set(key.toString('latin1'), offset);
      at = end;
    }
    fs.writeSync(this.logFd, log, 0, logBytes);
    this.logSize += logBytes;
    this.next += messages.length;
    if (this.autoSync) {
      fs.writeSync(this.indexFd, index, 0, indexBytes);
      await Promise.all([fdatasync(this.logFd), fdatasync(this.indexFd)]);
    } else {
      this.keepIndex(index.subarray(0, indexBytes));
    }
    return this.next;
  }

  async consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    const count = Math.min(maxCount, this.next - offset);
    if (count <= 0) return { nextOffset: Math.max(offset, this.next), messages: [] };
    const start = this.positions[offset];
    const buf = this.read(start, this.endOf(offset + count - 1));
    const messages = new Array<Message>(count);
    for (let i = 0; i < count; i++) messages[i] = decodeRecord(buf, this.positions[offset + i] - start);
    return { nextOffset: offset + count, messages };
  }

  async get(offset: number): Promise<Message> {
    if (offset < 0 || offset >= this.next)
      throw new LogError('ERR_INVALID_OFFSET', `raw: offset ${offset} out of bounds`);
    return decodeRecord(this.read(this.positions[offset], this.endOf(offset)), 0);
  }

  async getByKey(key: string): Promise<Message> {
    const offset = this.keys.get(key);
    if (offset === undefined) throw new LogError('ERR_NOT_FOUND', 'raw: key not found');
    return decodeRecord(this.read(this.positions[offset], this.endOf(offset)), 0);
  }

  async getByTime(start: Date): Promise<Message> {
    const times = this.times;
    const low = firstAtOrAfter(this.next, start.getTime() * 1000, (offset) => times[offset]);
    if (low === this.next) throw new LogError('ERR_NOT_FOUND', 'raw: time after the last message');
    return decodeRecord(this.read(this.positions[low], this.endOf(low)), 0);
  }

  private read(start: number, end: number): Buffer {
    const buf = Buffer.allocUnsafe(end - start);
    fs.readSync(this.readFd, buf, 0, buf.length, start);
    return buf;
  }

  /** Index items not yet in the index file, in one buffer that doubles as it fills. */
  private keepIndex(items: Buffer): void {
    if (this.unwrittenIndex.length < this.unwrittenBytes + items.length) {
      const grown = Buffer.allocUnsafe(
        Math.max(this.unwrittenIndex.length * 2, this.unwrittenBytes + items.length, 1 << 16),
      );
      this.unwrittenIndex.copy(grown, 0, 0, this.unwrittenBytes);
      this.unwrittenIndex = grown;
    }
    items.copy(this.unwrittenIndex, this.unwrittenBytes);
    this.unwrittenBytes += items.length;
  }

  async close(): Promise<void> {
    if (this.unwrittenBytes > 0) fs.writeSync(this.indexFd, this.unwrittenIndex, 0, this.unwrittenBytes);
    this.unwrittenBytes = 0;
    fs.closeSync(this.logFd);
    fs.closeSync(this.indexFd);
    fs.closeSync(this.readFd);
  }
}

export const peer: Peer = {
  name: 'raw',
  setup: 'ceiling: one log + one index file, fs.writeSync appends, fs.readSync at known positions, same CRC-32C checks',
  open: async (dir, options) => RawStore.open(dir, options),
};
