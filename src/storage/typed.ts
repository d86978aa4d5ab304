/**
 * Typed logs (klevdb's typed.go and typed_blocking.go): a Log whose keys and
 * values go through codecs on the way in and out.
 */
import { followDirOf, notifierFor, type BlockingOptions } from './blocking.js';
import type { Codec } from './codecs.js';
import { LogError, invalidArgument } from './errors.js';
import { open } from './log.js';
import { checkBlockingArgs } from './log-contract.js';
import type { OffsetNotify } from './notify.js';
import type { Log, Message, Options, PublishMessage, Stats } from './types.js';

export interface TMessage<K, V> {
  offset: number;
  time: Date;
  timeMicros: number;
  key: K;
  keyEmpty: boolean;
  value: V;
  valueEmpty: boolean;
}
export interface TConsumeResult<K, V> {
  nextOffset: number;
  messages: TMessage<K, V>[];
}
export interface TDeleteResult<K, V> {
  deleted: TMessage<K, V>[];
  deletedSize: number;
}

/** The calls that have nothing to decode are Log's own. */
type Untyped = 'nextOffset' | 'offsetByTime' | 'size' | 'stat' | 'backup' | 'sync' | 'gc' | 'close';

export interface TLog<K, V> extends Pick<Log, Untyped> {
  /** `offset` is ignored; a missing key or value is stored as no bytes. */
  publish(messages: Array<Partial<TMessage<K, V>>>): Promise<number>;
  consume(offset: number, maxCount: number): Promise<TConsumeResult<K, V>>;
  consumeByKey(key: K, empty: boolean, offset: number, maxCount: number): Promise<TConsumeResult<K, V>>;
  get(offset: number): Promise<TMessage<K, V>>;
  getByKey(key: K, empty: boolean): Promise<TMessage<K, V>>;
  offsetByKey(key: K, empty: boolean): Promise<number>;
  getByTime(start: Date): Promise<TMessage<K, V>>;
  delete(offsets: Iterable<number>): Promise<TDeleteResult<K, V>>;
  raw(): Log;
}

export interface TBlockingLog<K, V> extends TLog<K, V> {
  consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<TConsumeResult<K, V>>;
  consumeByKeyBlocking(
    key: K,
    empty: boolean,
    offset: number,
    maxCount: number,
    signal?: AbortSignal,
  ): Promise<TConsumeResult<K, V>>;
}

/** A codec failure with where it happened: `publish: messages[2].value: ...`, `key at offset 7: ...`. */
function inContext(where: string, err: unknown, fallback: 'ERR_INVALID_ARGUMENT' | 'ERR_CORRUPTED'): LogError {
  const code = err instanceof LogError ? err.code : fallback;
  const message = err instanceof Error ? err.message : String(err);
  return new LogError(code, `${where}: ${message}`, { cause: err });
}

function checkCodec(method: string, name: string, codec: unknown): void {
  const c = codec as Partial<Codec<unknown>> | null;
  if (typeof c !== 'object' || c === null || typeof c.encode !== 'function' || typeof c.decode !== 'function') {
    throw invalidArgument(`${method}: ${name} must be a Codec (an object with encode and decode)`);
  }
}

function checkEmpty(method: string, name: string, empty: unknown): void {
  if (typeof empty !== 'boolean') throw invalidArgument(`${method}: ${name} must be a boolean, got ${typeof empty}`);
}

class TypedLog<K, V> implements TLog<K, V> {
  constructor(
    private readonly log: Log,
    private readonly keyCodec: Codec<K>,
    private readonly valueCodec: Codec<V>,
  ) {}

  /** The stored bytes of a key argument; exposed so the blocking wrapper can check it before waiting. */
  keyBytes(method: string, key: K, empty: boolean): Buffer | null {
    checkEmpty(method, 'empty', empty);
    try {
      return this.keyCodec.encode(key, empty);
    } catch (err) {
      throw inContext(`${method}: key`, err, 'ERR_INVALID_ARGUMENT');
    }
  }

  #encode(m: Partial<TMessage<K, V>>, i: number): PublishMessage {
    const where = `publish: messages[${i}]`;
    if (typeof m !== 'object' || m === null) throw invalidArgument(`${where} must be an object`);
    const out: PublishMessage = {};
    for (const part of ['key', 'value'] as const) {
      const codec: Codec<unknown> = part === 'key' ? this.keyCodec : this.valueCodec;
      const empty = part === 'key' ? m.keyEmpty : m.valueEmpty;
      if (empty !== undefined) checkEmpty('publish', `messages[${i}].${part}Empty`, empty);
      if (m[part] === undefined) continue;
      try {
        out[part] = codec.encode(m[part], empty ?? false);
      } catch (err) {
        throw inContext(`${where}.${part}`, err, 'ERR_INVALID_ARGUMENT');
      }
    }
    if (m.time !== undefined) out.time = m.time;
    if (m.timeMicros !== undefined) out.timeMicros = m.timeMicros;
    return out;
  }

  #decode(m: Message): TMessage<K, V> {
    let part: 'key' | 'value' = 'key';
    try {
      const key = this.keyCodec.decode(m.key);
      part = 'value';
      const value = this.valueCodec.decode(m.value);
      return {
        offset: m.offset,
        time: m.time,
        timeMicros: m.timeMicros,
        key: key.value,
        keyEmpty: key.empty,
        value: value.value,
        valueEmpty: value.empty,
      };
    } catch (err) {
      throw inContext(`${part} at offset ${m.offset}`, err, 'ERR_CORRUPTED');
    }
  }

  #decodeAll = (messages: Message[]): TMessage<K, V>[] => messages.map((m) => this.#decode(m));

  async publish(messages: Array<Partial<TMessage<K, V>>>): Promise<number> {
    if (!Array.isArray(messages)) throw invalidArgument('publish: messages must be an array');
    return this.log.publish(messages.map((m, i) => this.#encode(m, i)));
  }
  async consume(offset: number, maxCount: number): Promise<TConsumeResult<K, V>> {
    const { nextOffset, messages } = await this.log.consume(offset, maxCount);
    return { nextOffset, messages: this.#decodeAll(messages) };
  }
  async consumeByKey(key: K, empty: boolean, offset: number, maxCount: number): Promise<TConsumeResult<K, V>> {
    const bytes = this.keyBytes('consumeByKey', key, empty);
    const { nextOffset, messages } = await this.log.consumeByKey(bytes ?? Buffer.alloc(0), offset, maxCount);
    return { nextOffset, messages: this.#decodeAll(messages) };
  }
  async get(offset: number): Promise<TMessage<K, V>> {
    return this.#decode(await this.log.get(offset));
  }
  async getByKey(key: K, empty: boolean): Promise<TMessage<K, V>> {
    return this.#decode(await this.log.getByKey(this.keyBytes('getByKey', key, empty) ?? Buffer.alloc(0)));
  }
  async offsetByKey(key: K, empty: boolean): Promise<number> {
    return this.log.offsetByKey(this.keyBytes('offsetByKey', key, empty) ?? Buffer.alloc(0));
  }
  async getByTime(start: Date): Promise<TMessage<K, V>> {
    return this.#decode(await this.log.getByTime(start));
  }
  async delete(offsets: Iterable<number>): Promise<TDeleteResult<K, V>> {
    const { deleted, deletedSize } = await this.log.delete(offsets);
    return { deleted: this.#decodeAll(deleted), deletedSize };
  }

  nextOffset = (): Promise<number> => this.log.nextOffset();
  offsetByTime = (start: Date): Promise<{ offset: number; time: Date }> => this.log.offsetByTime(start);
  size = (m: Message): number => this.log.size(m);
  stat = (): Promise<Stats> => this.log.stat();
  backup = (dir: string): Promise<void> => this.log.backup(dir);
  sync = (): Promise<number> => this.log.sync();
  gc = (unusedForMs: number): Promise<void> => this.log.gc(unusedForMs);
  close = (): Promise<void> => this.log.close();
  raw = (): Log => this.log;
}

export function wrapTyped<K, V>(log: Log, keyCodec: Codec<K>, valueCodec: Codec<V>): TLog<K, V> {
  if (typeof log !== 'object' || log === null || typeof log.consume !== 'function') {
    throw invalidArgument('wrapTyped: log must be a Log');
  }
  checkCodec('wrapTyped', 'keyCodec', keyCodec);
  checkCodec('wrapTyped', 'valueCodec', valueCodec);
  return new TypedLog(log, keyCodec, valueCodec);
}

export async function openTyped<K, V>(
  dir: string,
  opts: Options,
  keyCodec: Codec<K>,
  valueCodec: Codec<V>,
): Promise<TLog<K, V>> {
  checkCodec('openTyped', 'keyCodec', keyCodec);
  checkCodec('openTyped', 'valueCodec', valueCodec);
  return new TypedLog(await open(dir, opts), keyCodec, valueCodec);
}

/** As in Go, wraps any TLog: its publishes through the result wake the waiters. */
class TypedBlockingLog<K, V> implements TBlockingLog<K, V> {
  constructor(
    private readonly log: TLog<K, V>,
    private readonly notify: OffsetNotify,
  ) {}

  async publish(messages: Array<Partial<TMessage<K, V>>>): Promise<number> {
    const nextOffset = await this.log.publish(messages);
    this.notify.set(nextOffset);
    return nextOffset;
  }
  async consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<TConsumeResult<K, V>> {
    checkBlockingArgs('consumeBlocking', offset, maxCount, signal);
    await this.notify.wait(offset, signal);
    return this.log.consume(offset, maxCount);
  }
  async consumeByKeyBlocking(
    key: K,
    empty: boolean,
    offset: number,
    maxCount: number,
    signal?: AbortSignal,
  ): Promise<TConsumeResult<K, V>> {
    if (this.log instanceof TypedLog) this.log.keyBytes('consumeByKeyBlocking', key, empty);
    checkBlockingArgs('consumeByKeyBlocking', offset, maxCount, signal);
    await this.notify.wait(offset, signal);
    return this.log.consumeByKey(key, empty, offset, maxCount);
  }
  async close(): Promise<void> {
    this.notify.close();
    await this.log.close();
  }

  nextOffset = (): Promise<number> => this.log.nextOffset();
  consume = (offset: number, maxCount: number): Promise<TConsumeResult<K, V>> => this.log.consume(offset, maxCount);
  consumeByKey = (key: K, empty: boolean, offset: number, maxCount: number): Promise<TConsumeResult<K, V>> =>
    this.log.consumeByKey(key, empty, offset, maxCount);
  get = (offset: number): Promise<TMessage<K, V>> => this.log.get(offset);
  getByKey = (key: K, empty: boolean): Promise<TMessage<K, V>> => this.log.getByKey(key, empty);
  offsetByKey = (key: K, empty: boolean): Promise<number> => this.log.offsetByKey(key, empty);
  getByTime = (start: Date): Promise<TMessage<K, V>> => this.log.getByTime(start);
  offsetByTime = (start: Date): Promise<{ offset: number; time: Date }> => this.log.offsetByTime(start);
  delete = (offsets: Iterable<number>): Promise<TDeleteResult<K, V>> => this.log.delete(offsets);
  size = (m: Message): number => this.log.size(m);
  stat = (): Promise<Stats> => this.log.stat();
  backup = (dir: string): Promise<void> => this.log.backup(dir);
  sync = (): Promise<number> => this.log.sync();
  gc = (unusedForMs: number): Promise<void> => this.log.gc(unusedForMs);
  raw = (): Log => this.log.raw();
}

export async function wrapTypedBlocking<K, V>(log: TLog<K, V>, options?: BlockingOptions): Promise<TBlockingLog<K, V>> {
  if (typeof log !== 'object' || log === null || typeof log.raw !== 'function') {
    throw invalidArgument('wrapTypedBlocking: log must be a TLog');
  }
  return new TypedBlockingLog(log, await notifierFor(log, options));
}

export async function openTypedBlocking<K, V>(
  dir: string,
  opts: Options,
  keyCodec: Codec<K>,
  valueCodec: Codec<V>,
): Promise<TBlockingLog<K, V>> {
  const log = await openTyped(dir, opts, keyCodec, valueCodec);
  try {
    return await wrapTypedBlocking(log, followDirOf(dir, opts));
  } catch (err) {
    await log.close();
    throw err;
  }
}
