// Typed logs (klevdb typed.go, typed_test.go) over the real log.
import { expect } from 'chai';
import path from 'node:path';
import { z } from 'zod';
import { OffsetOldest } from '../../src/storage/types.js';
import type { Log, Options } from '../../src/storage/types.js';
import { open } from '../../src/storage/log.js';
import {
  jsonCodec,
  stringCodec,
  stringOptCodec,
  varintBigCodec,
  varintCodec,
  zodCodec,
} from '../../src/storage/codecs.js';
import type { Codec } from '../../src/storage/codecs.js';
import { openTyped, wrapTyped, type TLog, type TMessage } from '../../src/storage/typed.js';
import { LogError } from '../../src/storage/errors.js';
import { expectLogError } from '../helpers/errors.js';
import { fingerprint, useTempDirs } from '../helpers/fs.js';
import { copySample, sample, toOptions } from '../helpers/samples.js';
import { typedMessages, typedParts } from '../helpers/typed-samples.js';

describe('typed logs', () => {
  const tempDir = useTempDirs('klevdb-typed-');
  const logs: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.allSettled(logs.splice(0).map((l) => l.close()));
  });

  async function fresh<K, V>(keyCodec: Codec<K>, valueCodec: Codec<V>, opts: Options = {}): Promise<TLog<K, V>> {
    return track(await openTyped(await tempDir(), opts, keyCodec, valueCodec));
  }
  function track<T extends { close(): Promise<void> }>(log: T): T {
    logs.push(log);
    return log;
  }

  it('keeps the empty flags as klevdb TestKV does (jsonCodec keys and values)', async () => {
    const log = await fresh(jsonCodec<{ v: string }>(), jsonCodec<{ v: string }>());
    const hello = { v: 'hello' };
    const world = { v: 'world' };
    const next = await log.publish([
      { key: hello, value: world },
      { key: hello, keyEmpty: true, value: world },
      { key: hello, value: world, valueEmpty: true },
      { key: hello, keyEmpty: true, value: world, valueEmpty: true },
    ]);
    expect(next).to.equal(4);
    const { nextOffset, messages } = await log.consume(OffsetOldest, 4);
    expect(nextOffset).to.equal(4);
    expect(messages.map(typedParts)).to.deep.equal([
      { key: hello, keyEmpty: false, value: world, valueEmpty: false },
      { key: null, keyEmpty: true, value: world, valueEmpty: false },
      { key: hello, keyEmpty: false, value: null, valueEmpty: true },
      { key: null, keyEmpty: true, value: null, valueEmpty: true },
    ]);
    expect(messages.map((m) => m.offset)).to.deep.equal([0, 1, 2, 3]);
  });

  it('reads the Go typed-string-varint sample (int64 values with varintBigCodec)', async () => {
    const dir = await tempDir();
    await copySample('typed-string-varint', dir);
    const log = track(
      await openTyped(dir, toOptions(sample('typed-string-varint').options), stringCodec, varintBigCodec),
    );
    const { messages } = await log.consume(OffsetOldest, 100);
    const expected = typedMessages('typed-string-varint');
    expect(messages.map(typedParts)).to.deep.equal(
      expected.map(({ typed: t }) => ({
        key: t.key,
        keyEmpty: t.keyEmpty,
        value: BigInt(t.value as string),
        valueEmpty: t.valueEmpty,
      })),
    );
    expect(messages.map((m) => m.timeMicros)).to.deep.equal(expected.map((m) => m.unixMicro));
    expect((await log.getByKey('max', false)).value).to.equal(2n ** 63n - 1n);
    expect(await log.offsetByKey('min', false)).to.equal(9);
    const byKey = await log.consumeByKey('gone', false, OffsetOldest, 10);
    expect(byKey.messages.map(typedParts)).to.deep.equal([
      { key: 'gone', keyEmpty: false, value: 0n, valueEmpty: true },
    ]);
  });

  it('names the offset when a stored value does not fit the codec (varintCodec over int64 max)', async () => {
    const dir = await tempDir();
    await copySample('typed-string-varint', dir);
    const raw = await open(dir, toOptions(sample('typed-string-varint').options));
    const log = track(wrapTyped(raw, stringCodec, varintCodec));
    const err = await expectLogError(() => log.consume(OffsetOldest, 100), 'ERR_RANGE', 'value at offset 8');
    expect(err.message).to.include('varintBigCodec');
    expect((err.cause as LogError).code).to.equal('ERR_RANGE');
    expect((await log.get(7)).value).to.equal(2 ** 31);
    await expectLogError(() => log.get(9), 'ERR_RANGE', 'value at offset 9');
  });

  for (const [name, keyCodec, valueCodec] of [
    ['typed-stringopt', stringOptCodec, stringOptCodec],
    ['typed-json', stringCodec, jsonCodec()],
  ] as const) {
    it(`publishing the ${name} sample's typed messages writes Go's file byte for byte`, async () => {
      const s = sample(name);
      const dir = await tempDir();
      const log = track(await openTyped<unknown, unknown>(dir, toOptions(s.options), keyCodec, valueCodec));
      for (const m of typedMessages(name)) {
        await log.publish([{ ...m.typed.published, timeMicros: m.unixMicro }]);
      }
      const { messages } = await log.consume(OffsetOldest, 100);
      expect(messages.map(typedParts)).to.deep.equal(typedMessages(name).map((m) => typedParts(m.typed)));
      await log.sync();
      const segment = s.segments[0]!;
      expect(await fingerprint(path.join(dir, segment.log))).to.deep.equal({
        size: segment.logSize,
        sha256: segment.logSha256,
      });
    });
  }

  it('encodes the whole batch before publishing: a bad message publishes nothing and is named', async () => {
    const log = await fresh(stringCodec, varintCodec);
    await log.publish([{ key: 'a', value: 1 }]);
    const err = await expectLogError(
      () =>
        log.publish([
          { key: 'b', value: 2 },
          { key: 'c', value: 1.5 },
        ]),
      'ERR_INVALID_ARGUMENT',
      'messages[1].value',
    );
    expect(err.message).to.include('safe integer');
    await expectLogError(
      () => log.publish([{ key: 7 as unknown as string }]),
      'ERR_INVALID_ARGUMENT',
      'messages[0].key',
    );
    await expectLogError(
      () => log.publish([{ key: 'a', keyEmpty: 1 as unknown as boolean }]),
      'ERR_INVALID_ARGUMENT',
      'messages[0].keyEmpty',
    );
    await expectLogError(
      () => log.publish([null as unknown as TMessage<string, number>]),
      'ERR_INVALID_ARGUMENT',
      'messages[0]',
    );
    await expectLogError(() => log.publish('x' as unknown as []), 'ERR_INVALID_ARGUMENT', 'messages must be an array');
    expect(await log.nextOffset()).to.equal(1);
  });

  it('stores a missing key or value as no bytes, and passes times through', async () => {
    const log = await fresh(stringOptCodec, varintCodec, { timeIndex: true });
    const time = new Date(Date.UTC(2024, 1, 2, 3, 4, 5, 678));
    await log.publish([
      { value: 5, time },
      { key: 'k', timeMicros: 1_710_000_000_000_001 },
    ]);
    const raw = (await log.raw().consume(OffsetOldest, 10)).messages;
    expect(raw.map((m) => [m.key, m.value?.toString('hex') ?? null])).to.deep.equal([
      [null, '0a'],
      [Buffer.from('"k"'), null],
    ]);
    const typed = (await log.consume(OffsetOldest, 10)).messages;
    expect(typed.map(typedParts)).to.deep.equal([
      { key: '', keyEmpty: true, value: 5, valueEmpty: false },
      { key: 'k', keyEmpty: false, value: 0, valueEmpty: true },
    ]);
    expect(typed.map((m) => m.timeMicros)).to.deep.equal([time.getTime() * 1000, 1_710_000_000_000_001]);
    expect(typed[1]!.time.getTime()).to.equal(1_710_000_000_000);
    expect((await log.getByTime(new Date(1_710_000_000_000))).offset).to.equal(1);
    expect((await log.offsetByTime(time)).offset).to.equal(0);
  });

  it('looks keys up by (key, empty) through the key codec', async () => {
    const log = await fresh(stringOptCodec, stringCodec, { keyIndex: true });
    await log.publish([
      { key: '', value: 'blank' },
      { key: 'x', keyEmpty: true, value: 'none' },
      { key: 'a', value: 'first' },
      { key: 'a', value: 'second' },
    ]);
    expect((await log.getByKey('', false)).value).to.equal('blank');
    expect((await log.getByKey('ignored', true)).value).to.equal('none');
    expect(await log.offsetByKey('a', false)).to.equal(3);
    const { nextOffset, messages } = await log.consumeByKey('a', false, OffsetOldest, 10);
    expect(messages.map((m) => m.value)).to.deep.equal(['first', 'second']);
    expect(nextOffset).to.equal(4);
    await expectLogError(() => log.getByKey('missing', false), 'ERR_NOT_FOUND');
    await expectLogError(() => log.getByKey('a', 'no' as unknown as boolean), 'ERR_INVALID_ARGUMENT', 'empty');
    await expectLogError(
      () => log.offsetByKey(3 as unknown as string, false),
      'ERR_INVALID_ARGUMENT',
      'offsetByKey: key',
    );
  });

  it('names the offset and the part when stored bytes do not decode', async () => {
    const raw = track(await open(await tempDir(), {}));
    await raw.publish([
      { key: 'a', value: '{"n":1}' },
      { key: 'b', value: '{"n":"x"}' },
      { key: 'c', value: 'not json' },
    ]);
    const zod = wrapTyped(raw, stringCodec, zodCodec(z.object({ n: z.number() })));
    expect((await zod.get(0)).value).to.deep.equal({ n: 1 });
    const range = await expectLogError(() => zod.get(1), 'ERR_RANGE', 'value at offset 1');
    expect(range.message).to.include('t.n');
    await expectLogError(() => zod.consume(OffsetOldest, 10), 'ERR_RANGE', 'value at offset 1');
    await expectLogError(() => wrapTyped(raw, stringCodec, jsonCodec()).get(2), 'ERR_CORRUPTED', 'value at offset 2');
    const failing: Codec<string> = {
      encode: () => {
        throw new Error('boom');
      },
      decode: () => {
        throw new TypeError('custom decode failed');
      },
    };
    const custom = wrapTyped(raw, failing, stringCodec);
    const err = await expectLogError(() => custom.get(0), 'ERR_CORRUPTED', 'key at offset 0: custom decode failed');
    expect(err.cause).to.be.instanceOf(TypeError);
    await expectLogError(() => custom.publish([{ key: 'k' }]), 'ERR_INVALID_ARGUMENT', 'messages[0].key: boom');
  });

  it('deletes and sizes like the raw log, and raw() is the wrapped log', async () => {
    const raw = track(await open(await tempDir(), {}));
    const log = wrapTyped(raw, stringCodec, varintCodec);
    expect(log.raw()).to.equal(raw);
    await log.publish([
      { key: 'a', value: 1 },
      { key: 'b', value: -300 },
    ]);
    const second = await raw.get(1);
    // Go: record (36 + key + value) plus its 16-byte index item.
    expect(log.size(second))
      .to.equal(raw.size(second))
      .and.to.equal(36 + 1 + 2 + 16);
    const rawDelete = raw.delete.bind(raw);
    let rawDeletedSize = -1;
    raw.delete = async (offsets) => {
      const result = await rawDelete(offsets);
      rawDeletedSize = result.deletedSize;
      return result;
    };
    const { deleted, deletedSize } = await log.delete([1]);
    expect(deleted.map(typedParts)).to.deep.equal([{ key: 'b', keyEmpty: false, value: -300, valueEmpty: false }]);
    expect(deletedSize).to.equal(rawDeletedSize).and.to.be.greaterThan(0);
    expect((await log.stat()).messages).to.equal(1);
    expect(await log.sync()).to.equal(2);
  });

  it('rejects what is not a codec or a log, naming the argument', async () => {
    const dir = await tempDir();
    await expectLogError(
      () => openTyped(dir, {}, {} as Codec<string>, stringCodec),
      'ERR_INVALID_ARGUMENT',
      'keyCodec',
    );
    const raw = track(await open(dir, {}));
    await expectLogError(
      () => wrapTyped(raw, stringCodec, null as unknown as Codec<string>),
      'ERR_INVALID_ARGUMENT',
      'valueCodec',
    );
    await expectLogError(
      () => wrapTyped({} as Log, stringCodec, stringCodec),
      'ERR_INVALID_ARGUMENT',
      'log must be a Log',
    );
  });
});
