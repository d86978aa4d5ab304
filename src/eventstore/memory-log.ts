/**
 * A BlockingLog held in memory, behind the in-memory event store: the store
 * runs the very same code over it as over a log on disk, which is what keeps
 * the two stores' semantics identical. Offsets, key lookups, blocking
 * consume and the error codes follow the log on disk; there are no files,
 * so backup() is the one thing it refuses.
 */
import {
  OffsetNewest,
  OffsetOldest,
  type BlockingLog,
  type ConsumeResult,
  type DeleteResult,
  type Message,
  type PublishMessage,
  type Stats,
} from '../storage/index.js';
import {
  OffsetNotify,
  checkBackupArg,
  checkBlockingArgs,
  checkBlockingByKeyArgs,
  checkConsumeArgs,
  checkConsumeByKeyArgs,
  checkDeleteArgs,
  checkGcArg,
  checkGetArgs,
  checkKeyArg,
  checkSizeArg,
  checkStartArg,
  closedLog,
  invalidArgument,
  invalidOffset,
  keyId,
  notFound,
  prepareMessages,
  recordSize,
} from '../storage/backend-kit.js';

export class MemoryLog implements BlockingLog {
  private messages: Message[] = [];
  private readonly byKey = new Map<string, Message[]>();
  private next = 0;
  private closed = false;
  private readonly notify = new OffsetNotify(0);

  async publish(messages: PublishMessage[]): Promise<number> {
    this.ensureOpen();
    // Checked and stamped as the log on disk does it, with its clock; the bytes are copied, so a
    // caller reusing its buffers cannot change what was stored.
    for (const { key, value, timeMicros } of prepareMessages(messages)) {
      const m: Message = {
        offset: this.next++,
        timeMicros,
        time: new Date(Math.floor(timeMicros / 1000)),
        key: copy(key),
        value: copy(value),
      };
      this.messages.push(m);
      const id = keyId(m.key);
      const list = this.byKey.get(id);
      if (list) list.push(m);
      else this.byKey.set(id, [m]);
    }
    this.notify.set(this.next);
    return this.next;
  }

  async nextOffset(): Promise<number> {
    this.ensureOpen();
    return this.next;
  }

  async consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    checkConsumeArgs(offset, maxCount);
    this.ensureOpen();
    if (offset > this.next)
      throw invalidOffset(`invalid offset: ${offset} is after the end of the log (next offset ${this.next})`);
    return this.consumeFrom(this.messages, offset, maxCount);
  }

  /** Past the end, an empty answer rather than an error, as the log on disk gives. */
  async consumeByKey(key: Uint8Array | string, offset: number, maxCount: number): Promise<ConsumeResult> {
    const k = checkConsumeByKeyArgs(key, offset, maxCount);
    this.ensureOpen();
    return this.consumeFrom(this.byKey.get(keyId(k)) ?? [], offset, maxCount);
  }

  async consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<ConsumeResult> {
    checkBlockingArgs('consumeBlocking', offset, maxCount, signal);
    await this.notify.wait(offset, signal);
    return this.consume(offset, maxCount);
  }

  async consumeByKeyBlocking(
    key: Uint8Array | string,
    offset: number,
    maxCount: number,
    signal?: AbortSignal,
  ): Promise<ConsumeResult> {
    checkBlockingByKeyArgs(key, offset, maxCount, signal);
    await this.notify.wait(offset, signal);
    return this.consumeByKey(key, offset, maxCount);
  }

  async get(offset: number): Promise<Message> {
    checkGetArgs(offset);
    this.ensureOpen();
    if (this.messages.length === 0) throw invalidOffset('invalid offset: the log is empty');
    if (offset === OffsetNewest) return this.messages.at(-1)!;
    if (offset === OffsetOldest) return this.messages[0]!;
    if (offset < 0) throw invalidOffset(`invalid offset: ${offset} is before the start of the log`);
    if (offset >= this.next)
      throw invalidOffset(`invalid offset: ${offset} is after the end of the log (next offset ${this.next})`);
    const m = this.messages[firstAtOrAfter(this.messages, offset)];
    if (m?.offset !== offset) throw notFound(`not found: offset ${offset} was deleted`);
    return m;
  }

  async getByKey(key: Uint8Array | string): Promise<Message> {
    const k = checkKeyArg(key);
    this.ensureOpen();
    const list = this.byKey.get(keyId(k));
    if (!list?.length)
      throw notFound(`not found: no message with key ${k ? JSON.stringify(k.toString('utf8')) : '(empty)'}`);
    return list[list.length - 1]!;
  }

  async offsetByKey(key: Uint8Array | string): Promise<number> {
    return (await this.getByKey(key)).offset;
  }

  async getByTime(start: Date): Promise<Message> {
    const micros = checkStartArg(start).getTime() * 1000;
    this.ensureOpen();
    if (this.messages.length === 0) throw invalidOffset('invalid offset: the log is empty');
    const m = this.messages.find((x) => x.timeMicros >= micros);
    if (!m) throw notFound(`not found: no message at or after ${start.toISOString()}`);
    return m;
  }

  async offsetByTime(start: Date): Promise<{ offset: number; time: Date }> {
    const m = await this.getByTime(start);
    return { offset: m.offset, time: m.time };
  }

  async delete(offsets: Iterable<number>): Promise<DeleteResult> {
    this.ensureOpen();
    const gone = checkDeleteArgs(offsets).offsets;
    const deleted = this.messages.filter((m) => gone.has(m.offset));
    if (deleted.length === 0) return { deleted, deletedSize: 0 };
    this.messages = this.messages.filter((m) => !gone.has(m.offset));
    for (const m of deleted) {
      const id = keyId(m.key);
      const rest = this.byKey.get(id)!.filter((x) => !gone.has(x.offset));
      if (rest.length > 0) this.byKey.set(id, rest);
      else this.byKey.delete(id);
    }
    return { deleted, deletedSize: deleted.reduce((sum, m) => sum + this.size(m), 0) };
  }

  size(m: Message): number {
    const { key, value } = checkSizeArg(m);
    return recordSize('V2', key?.length ?? 0, value?.length ?? 0);
  }

  async stat(): Promise<Stats> {
    this.ensureOpen();
    return {
      segments: 1,
      messages: this.messages.length,
      size: this.messages.reduce((sum, m) => sum + this.size(m), 0),
    };
  }

  async backup(dir: string): Promise<void> {
    checkBackupArg(dir);
    this.ensureOpen();
    throw invalidArgument('backup: an in-memory log has no files to back up');
  }

  async sync(): Promise<number> {
    return this.nextOffset();
  }

  async gc(unusedForMs: number): Promise<void> {
    checkGcArg(unusedForMs);
    this.ensureOpen();
  }

  async close(): Promise<void> {
    // Waiters first, as the log on disk does: none of them reads a closed log.
    this.notify.close();
    this.closed = true;
  }

  private consumeFrom(list: Message[], offset: number, maxCount: number): ConsumeResult {
    if (offset === OffsetNewest) return { nextOffset: this.next, messages: [] };
    const i = firstAtOrAfter(list, offset === OffsetOldest ? 0 : offset);
    const messages = list.slice(i, i + maxCount);
    return { nextOffset: messages.length > 0 ? messages[messages.length - 1]!.offset + 1 : this.next, messages };
  }

  private ensureOpen(): void {
    if (this.closed) throw closedLog('the in-memory log');
  }
}

function copy(b: Buffer | null): Buffer | null {
  return b === null ? null : Buffer.from(b);
}

function firstAtOrAfter(list: Message[], offset: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
