// Item 1 and 2 for typed logs: each codec of klevdb's typed_codec.go written
// by one library and decoded by the other (Go decodes with its own codecs),
// and the same typed messages giving the same bytes.
import { expect } from 'chai';
import { z } from 'zod';
import { jsonCodec, openTyped, stringCodec, stringOptCodec, varintBigCodec, varintCodec, zodCodec } from '../../src/index.js';
import type { Codec, Options } from '../../src/index.js';
import { fingerprintDir, useTempDirs } from '../helpers/fs.js';
import { goRead, goWrite } from './go-log.js';
import type { GoCodecs, GoMessage } from './go-log.js';
import { requireKlevgo } from './klevgo.js';

interface Typed {
  key: unknown;
  keyEmpty: boolean;
  value: unknown;
  valueEmpty: boolean;
}

interface CodecCase {
  name: string;
  go: Required<GoCodecs>;
  key: Codec<never>;
  value: Codec<never>;
  messages: Typed[];
  /** The typed value as klevgo prints it (int64 as decimal strings). */
  toGo: (v: unknown, part: 'key' | 'value') => unknown;
}

const T = Date.UTC(2025, 0, 2) * 1000;
const asIs = (v: unknown): unknown => v;
const decimal = (v: unknown): unknown => String(v);
const m = (key: unknown, value: unknown, keyEmpty = false, valueEmpty = false): Typed => ({ key, keyEmpty, value, valueEmpty });

// Go's zero value for an empty part: what both sides decode it as.
const CASES: CodecCase[] = [
  {
    name: 'stringCodec keys, varintCodec values',
    go: { keyCodec: 'string', valueCodec: 'varint' },
    key: stringCodec as Codec<never>,
    value: varintCodec as Codec<never>,
    messages: [m('a', 0), m('ключ 🔑', -1), m('', 63), m('b', -64), m('c', 2 ** 53 - 1), m('d', -(2 ** 53) + 1), m('e', 0, false, true), m('f', 300)],
    toGo: (v, part) => (part === 'value' ? decimal(v) : v),
  },
  {
    name: 'stringOptCodec keys and values',
    go: { keyCodec: 'stringopt', valueCodec: 'stringopt' },
    key: stringOptCodec as Codec<never>,
    value: stringOptCodec as Codec<never>,
    messages: [
      m('', ''),
      m('k', '', false, true),
      m('', 'no key', true),
      m('<html> & "quotes"', 'tab\there\nnew line \u0001 \u001f \u007f'),
      m('\u2028\u2029', 'é e\u0301 🔑 \\ /'),
    ],
    toGo: asIs,
  },
  {
    name: 'stringCodec keys, jsonCodec values (sorted keys, as Go marshals a map)',
    go: { keyCodec: 'string', valueCodec: 'json' },
    key: stringCodec as Codec<never>,
    value: jsonCodec() as Codec<never>,
    messages: [
      m('obj', { a: 1, b: [true, false, null], c: { d: 'e<>&', e: '\u2028' } }),
      m('numbers', [0, -0.5, 0.1, 1e21, 1e-7, 123456789012, -1e300, 5e-324]),
      m('text', 'unicode ключ 🔑 "quoted" \\'),
      m('empty', null, false, true),
      m('null', null),
      m('nested', [[], {}, [{}], ''].map((x) => x)),
    ],
    toGo: asIs,
  },
  {
    name: 'varintBigCodec keys, zodCodec values',
    go: { keyCodec: 'varint', valueCodec: 'json' },
    key: varintBigCodec as Codec<never>,
    value: zodCodec(z.object({ id: z.number(), name: z.string(), tags: z.array(z.string()) }).nullable()) as Codec<never>,
    messages: [
      m(-(2n ** 63n), { id: 1, name: 'min', tags: [] }),
      m(2n ** 63n - 1n, { id: 2, name: 'max', tags: ['a', 'b'] }),
      m(0n, { id: 3, name: 'zero <&>', tags: ['ü'] }),
      m(0n, null, true, true),
    ],
    toGo: (v, part) => (part === 'key' ? decimal(v) : v),
  },
];

const OPTS: Options = { keyIndex: true, timeIndex: true, rollover: 200 };

function goMessages(c: CodecCase): GoMessage[] {
  return c.messages.map((t, i) => ({
    key: null,
    value: null,
    time: T + i,
    typedKey: t.keyEmpty && t.key === null ? undefined : c.toGo(t.key, 'key'),
    keyEmpty: t.keyEmpty,
    typedValue: t.valueEmpty && t.value === null ? undefined : c.toGo(t.value, 'value'),
    valueEmpty: t.valueEmpty,
  }));
}

async function nodeWriteTyped(dir: string, c: CodecCase): Promise<void> {
  const log = await openTyped(dir, { createDirs: true, ...OPTS }, c.key, c.value);
  for (const [i, t] of c.messages.entries()) {
    await log.publish([{ ...(t as object), timeMicros: T + i }]);
  }
  await log.close();
}

/** What both sides decode a message as: an empty part is the codec's zero value. */
function decoded(c: CodecCase, t: Typed, zero: (part: 'key' | 'value') => unknown): Typed {
  return {
    key: t.keyEmpty ? zero('key') : t.key,
    keyEmpty: t.keyEmpty && c.go.keyCodec !== 'string',
    value: t.valueEmpty ? zero('value') : t.value,
    valueEmpty: t.valueEmpty && c.go.valueCodec !== 'string',
  };
}

describe('interop with Go klevdb: typed logs and codecs', function () {
  before(async function () {
    await requireKlevgo(this);
  });
  const tempDir = useTempDirs('klevdb-interop-');

  for (const c of CASES) {
    describe(c.name, function () {
      it('Node writes; Go decodes every message with its codecs to the same values', async function () {
        const dir = await tempDir();
        await nodeWriteTyped(dir, c);
        const go = await goRead(dir, OPTS, c.go);
        const got = go.raw.map((l) => ({ key: l['typedKey'], keyEmpty: l['keyEmpty'], value: l['typedValue'], valueEmpty: l['valueEmpty'] }));
        const zeroGo = (part: 'key' | 'value'): unknown => {
          const codec = part === 'key' ? c.go.keyCodec : c.go.valueCodec;
          return codec === 'varint' ? '0' : codec === 'json' ? null : '';
        };
        const want = c.messages.map((t) => decoded(c, t, zeroGo)).map((t) => ({
          ...t,
          key: t.keyEmpty ? t.key : c.toGo(t.key, 'key'),
          value: t.valueEmpty ? t.value : c.toGo(t.value, 'value'),
        }));
        expect(got).to.deep.equal(want);
        expect(go.raw.filter((l) => l['keyError'] || l['valueError'])).to.deep.equal([]);
      });

      it('Go writes with its codecs; Node decodes every message to the values published', async function () {
        const dir = await tempDir();
        await goWrite(dir, OPTS, [goMessages(c)], c.go);
        const log = await openTyped(dir, { ...OPTS, readonly: true }, c.key, c.value);
        const { messages } = await log.consume(0, 100);
        await log.close();
        const zeroNode = (part: 'key' | 'value'): unknown => (part === 'key' ? c.key : c.value).decode(null).value;
        expect(messages.map((x) => ({ key: x.key, keyEmpty: x.keyEmpty, value: x.value, valueEmpty: x.valueEmpty }))).to.deep.equal(
          c.messages.map((t) => decoded(c, t, zeroNode)),
        );
      });

      it('the same typed messages give identical .log and .index files', async function () {
        const nodeDir = await tempDir();
        const goDir = await tempDir();
        await nodeWriteTyped(nodeDir, c);
        await goWrite(goDir, OPTS, c.messages.map((_, i) => [goMessages(c)[i]!]), c.go);
        expect(await fingerprintDir(nodeDir)).to.deep.equal(await fingerprintDir(goDir));
      });
    });
  }
});
