// The typed codecs: Go's bytes from the typed samples, round trips, and bad input.
import { expect } from 'chai';
import fc from 'fast-check';
import { z } from 'zod';
import {
  jsonCodec,
  stringCodec,
  stringOptCodec,
  varintBigCodec,
  varintCodec,
  zodCodec,
  type Codec,
} from '../../src/storage/codecs.js';
import { expectLogError } from '../helpers/errors.js';
import { typedRecords as typedSample } from '../helpers/typed-samples.js';

/** Decodes a record and re-encodes its published form: both must match Go. */
function checkAgainstGo<K, V>(
  name: string,
  keyCodec: Codec<K>,
  valueCodec: Codec<V>,
  fromManifest: (v: unknown) => V = (v) => v as V,
): void {
  for (const r of typedSample(name)) {
    const key = keyCodec.decode(r.key);
    const value = valueCodec.decode(r.value);
    const at = `${name} offset ${r.offset}`;
    expect({ key: key.value, keyEmpty: key.empty }, at).to.deep.equal({ key: r.typed.key, keyEmpty: r.typed.keyEmpty });
    expect(value.empty, at).to.equal(r.typed.valueEmpty);
    if (!value.empty) expect(value.value, at).to.deep.equal(fromManifest(r.typed.value));

    const published = r.typed.published;
    const keyBytes = keyCodec.encode(published.key as K, published.keyEmpty);
    const valueBytes = valueCodec.encode(fromManifest(published.value), published.valueEmpty);
    // Zero bytes and null are the same on disk.
    expect(keyBytes?.length ? keyBytes.toString('hex') : null, `${at} key bytes`).to.equal(
      r.key?.toString('hex') ?? null,
    );
    expect(valueBytes?.toString('hex') ?? null, `${at} value bytes`).to.equal(r.value?.toString('hex') ?? null);
  }
}

/** Go's encodeState.string with escapeHTML, written from its spec rune by rune. */
function goQuote(s: string): string {
  const short: Record<string, string> = {
    '"': '\\"',
    '\\': '\\\\',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
  };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (short[ch] !== undefined) out += short[ch];
    else if (cp < 0x20 || ch === '<' || ch === '>' || ch === '&' || cp === 0x2028 || cp === 0x2029) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return out + '"';
}

/** binary.AppendVarint by plain arithmetic (no shifts or XOR, unlike the codec). */
function referenceVarint(v: bigint): string {
  let ux = v >= 0n ? 2n * v : -2n * v - 1n;
  const bytes: number[] = [];
  do {
    const low = Number(ux % 128n);
    ux /= 128n;
    bytes.push(ux > 0n ? low + 128 : low);
  } while (ux > 0n);
  return Buffer.from(bytes).toString('hex');
}

// The Go struct of the typed-json sample (manifest "goType").
const EventSchema = z.object({
  type: z.string(),
  id: z.number().int(),
  tags: z.array(z.string()).nullable(),
  attrs: z.record(z.string(), z.string()).optional(),
  ok: z.boolean(),
});

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

describe('codecs', () => {
  describe('Go bytes (shared/format typed samples)', () => {
    it('typed-string-varint: stringCodec keys, varintBigCodec values', () => {
      checkAgainstGo('typed-string-varint', stringCodec, varintBigCodec, (v) => BigInt(v as string));
    });

    it('typed-string-varint: varintCodec reads the safe values and rejects int64 max/min with ERR_RANGE', async () => {
      for (const r of typedSample('typed-string-varint')) {
        const expected = BigInt(r.typed.value as string);
        if (Number.isSafeInteger(Number(expected)) && BigInt(Number(expected)) === expected) {
          expect(varintCodec.decode(r.value)).to.deep.equal({ value: Number(expected), empty: r.typed.valueEmpty });
          if (!r.typed.valueEmpty) expect(varintCodec.encode(Number(expected), false)).to.deep.equal(r.value);
        } else {
          await expectLogError(() => varintCodec.decode(r.value), 'ERR_RANGE', 'varintBigCodec');
        }
      }
    });

    it('typed-stringopt: stringOptCodec keys and values (HTML, control and U+2028 escapes)', () => {
      checkAgainstGo('typed-stringopt', stringOptCodec, stringOptCodec);
    });

    it('typed-json: jsonCodec values (field order, nested escapes, empty as null)', () => {
      checkAgainstGo('typed-json', stringCodec, jsonCodec<unknown>());
      checkAgainstGo('typed-json', stringCodec, zodCodec(EventSchema));
    });
  });

  describe('stringCodec', () => {
    it('stores UTF-8 and ignores the empty flag, as Go does', () => {
      expect(stringCodec.encode('ünï', true)).to.deep.equal(Buffer.from('c3bc6ec3af', 'hex'));
      expect(stringCodec.encode('', false)?.length).to.equal(0);
      expect(stringCodec.decode(null)).to.deep.equal({ value: '', empty: false });
      expect(stringCodec.encode('a\ud800', false)).to.deep.equal(Buffer.from('61efbfbd', 'hex'));
    });

    it('rejects a non-string or a non-boolean flag, naming the argument', async () => {
      await expectLogError(
        () => stringCodec.encode(1 as unknown as string, false),
        'ERR_INVALID_ARGUMENT',
        /\bt must be a string/,
      );
      await expectLogError(
        () => stringCodec.encode('x', 'no' as unknown as boolean),
        'ERR_INVALID_ARGUMENT',
        /empty must be a boolean/,
      );
      await expectLogError(
        () => stringCodec.decode('x' as unknown as Buffer),
        'ERR_INVALID_ARGUMENT',
        /b must be a Buffer/,
      );
    });
  });

  describe('stringOptCodec', () => {
    it('writes json.Marshal bytes for any string, lone surrogates as U+FFFD', () => {
      const tricky = fc.constantFrom(
        '<',
        '>',
        '&',
        '\u2028',
        '\u2029',
        '\\',
        '"',
        'u',
        'd',
        '8',
        '\ud800',
        '\udc00',
        '\x00',
        '\x1f',
        '\x7f',
        'é',
        '🔑',
      );
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: tricky })), (s) => {
          const bytes = stringOptCodec.encode(s, false)!;
          expect(bytes.toString('utf8')).to.equal(goQuote(s));
          expect(stringOptCodec.decode(bytes)).to.deep.equal({
            value: s.replace(/[\ud800-\udfff]/gu, '\ufffd'),
            empty: false,
          });
        }),
        { numRuns: 500 },
      );
    });

    it('keeps "" and no string apart', () => {
      expect(stringOptCodec.encode('', false)).to.deep.equal(Buffer.from('""'));
      expect(stringOptCodec.encode('ignored', true)).to.equal(null);
      expect(stringOptCodec.decode(null)).to.deep.equal({ value: '', empty: true });
      expect(stringOptCodec.decode(Buffer.alloc(0))).to.deep.equal({ value: '', empty: true });
      // Go's Unmarshal of null into a string leaves it "" and reports no error.
      expect(stringOptCodec.decode(Buffer.from('null'))).to.deep.equal({ value: '', empty: false });
    });

    it('rejects stored bytes that are not a JSON string as ERR_CORRUPTED', async () => {
      await expectLogError(() => stringOptCodec.decode(Buffer.from('12')), 'ERR_CORRUPTED', 'not a string');
      await expectLogError(() => stringOptCodec.decode(Buffer.from('"open')), 'ERR_CORRUPTED', 'not JSON');
      await expectLogError(
        () => stringOptCodec.encode(null as unknown as string, false),
        'ERR_INVALID_ARGUMENT',
        /\bt must/,
      );
    });
  });

  describe('varintCodec and varintBigCodec', () => {
    it('round-trip every safe integer with binary.AppendVarint bytes', () => {
      fc.assert(
        fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer()), (n) => {
          const bytes = varintCodec.encode(n, false)!;
          expect(bytes.toString('hex')).to.equal(referenceVarint(BigInt(n)));
          expect(varintCodec.decode(bytes)).to.deep.equal({ value: n === 0 ? 0 : n, empty: false });
          expect(varintBigCodec.encode(BigInt(n), false)).to.deep.equal(bytes);
        }),
        { numRuns: 2000 },
      );
      for (const n of [
        Number.MAX_SAFE_INTEGER,
        Number.MIN_SAFE_INTEGER,
        2 ** 30,
        -(2 ** 30),
        2 ** 30 - 1,
        -(2 ** 30) + 1,
      ]) {
        expect(varintCodec.decode(varintCodec.encode(n, false)).value, String(n)).to.equal(n);
      }
    });

    it('varintBigCodec round-trips the whole int64 range', () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.constantFrom(INT64_MIN, INT64_MAX, -1n, 0n)),
          (v) => {
            const bytes = varintBigCodec.encode(v, false)!;
            expect(bytes.toString('hex')).to.equal(referenceVarint(v));
            expect(bytes.length).to.be.within(1, 10);
            expect(varintBigCodec.decode(bytes)).to.deep.equal({ value: v, empty: false });
          },
        ),
        { numRuns: 2000 },
      );
    });

    it('store nothing for empty, and read nothing back as 0 with empty=true', () => {
      expect(varintCodec.encode(5, true)).to.equal(null);
      expect(varintBigCodec.encode(5n, true)).to.equal(null);
      expect(varintCodec.decode(null)).to.deep.equal({ value: 0, empty: true });
      expect(varintBigCodec.decode(Buffer.alloc(0))).to.deep.equal({ value: 0n, empty: true });
    });

    it('reject what is not a safe integer / an int64 bigint, naming the argument', async () => {
      for (const bad of [1.5, NaN, Infinity, 2 ** 53, -(2 ** 53), '1', 1n, null]) {
        await expectLogError(
          () => varintCodec.encode(bad as number, false),
          'ERR_INVALID_ARGUMENT',
          /\bt must be a safe integer.*varintBigCodec/,
        );
      }
      for (const bad of [INT64_MAX + 1n, INT64_MIN - 1n, 1, '1']) {
        await expectLogError(
          () => varintBigCodec.encode(bad as bigint, false),
          'ERR_INVALID_ARGUMENT',
          /\bt must be a bigint within int64/,
        );
      }
    });

    it('decode beyond the safe range as ERR_RANGE, suggesting varintBigCodec', async () => {
      const err = await expectLogError(() => varintCodec.decode(varintBigCodec.encode(2n ** 53n, false)), 'ERR_RANGE');
      expect(err.message).to.match(/9007199254740992.*varintBigCodec/);
      await expectLogError(
        () => varintCodec.decode(varintBigCodec.encode(-(2n ** 53n), false)),
        'ERR_RANGE',
        'varintBigCodec',
      );
    });

    it('decode truncated or overlong bytes as ERR_CORRUPTED, and ignore trailing bytes as Go does', async () => {
      for (const codec of [varintCodec, varintBigCodec] as Codec<unknown>[]) {
        await expectLogError(() => codec.decode(Buffer.from([0x80])), 'ERR_CORRUPTED', 'truncated');
        await expectLogError(() => codec.decode(Buffer.from([0xff, 0xff, 0xff])), 'ERR_CORRUPTED', 'truncated');
        await expectLogError(() => codec.decode(Buffer.alloc(11, 0xff)), 'ERR_CORRUPTED', 'overflow');
        await expectLogError(
          () => codec.decode(Buffer.from([...Buffer.alloc(9, 0xff), 0x02])),
          'ERR_CORRUPTED',
          'overflow',
        );
      }
      expect(varintBigCodec.decode(Buffer.from([...Buffer.alloc(9, 0xff), 0x01])).value).to.equal(INT64_MIN);
      expect(varintCodec.decode(Buffer.from([0x02, 0xff])).value).to.equal(1);
      expect(varintCodec.decode(Buffer.from([0x80, 0x00])).value).to.equal(0);
    });
  });

  describe('jsonCodec', () => {
    const codec = jsonCodec<unknown>();

    it('round-trips JSON values and never writes raw < > & U+2028 U+2029', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          const text = codec.encode(v, false)!.toString('utf8');
          expect(text).not.to.match(/[<>&\u2028\u2029]/);
          expect(codec.decode(Buffer.from(text)).value).to.deep.equal(JSON.parse(JSON.stringify(v)));
        }),
        { numRuns: 500 },
      );
    });

    it('escapes object keys and nested strings as Go does', () => {
      const bytes = codec.encode({ '<k>': ['a&b', '\u2028'], n: -7, f: 1e-7, big: 1e21, t: true, z: null }, false);
      expect(bytes?.toString('utf8')).to.equal(
        '{"\\u003ck\\u003e":["a\\u0026b","\\u2028"],"n":-7,"f":1e-7,"big":1e+21,"t":true,"z":null}',
      );
    });

    it('stores nothing for empty and reads it back as null with empty=true', () => {
      expect(codec.encode({ a: 1 }, true)).to.equal(null);
      expect(codec.decode(null)).to.deep.equal({ value: null, empty: true });
      expect(codec.decode(Buffer.from('null'))).to.deep.equal({ value: null, empty: false });
    });

    it('rejects values JSON cannot hold, naming the path', async () => {
      await expectLogError(
        () => codec.encode({ a: [1, { b: NaN }] }, false),
        'ERR_INVALID_ARGUMENT',
        't.a[1].b is NaN',
      );
      await expectLogError(
        () => codec.encode({ 'x y': Infinity }, false),
        'ERR_INVALID_ARGUMENT',
        't["x y"] is Infinity',
      );
      await expectLogError(() => codec.encode({ id: 1n }, false), 'ERR_INVALID_ARGUMENT', 't.id is a bigint');
      await expectLogError(() => codec.encode(undefined, false), 'ERR_INVALID_ARGUMENT', 'empty=true');
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      await expectLogError(() => codec.encode(loop, false), 'ERR_INVALID_ARGUMENT', 'cannot be written as JSON');
    });

    it('decodes bytes that are not JSON as ERR_CORRUPTED', async () => {
      await expectLogError(() => codec.decode(Buffer.from('{"a":')), 'ERR_CORRUPTED', 'jsonCodec.decode');
    });
  });

  describe('zodCodec', () => {
    const codec = zodCodec(EventSchema);
    const event = { type: 'paid', id: 1, tags: ['x'], attrs: { amount: '10&5' }, ok: true };

    it('writes what jsonCodec writes for a valid value, without unknown keys', () => {
      expect(codec.encode({ ...event, extra: 1 } as typeof event, false)).to.deep.equal(
        jsonCodec().encode(event, false),
      );
      expect(codec.decode(codec.encode(event, false))).to.deep.equal({ value: event, empty: false });
      expect(codec.encode(event, true)).to.equal(null);
      expect(codec.decode(null)).to.deep.equal({ value: null, empty: true });
    });

    it('rejects an invalid value on encode with ERR_INVALID_ARGUMENT naming the path', async () => {
      const bad = { ...event, tags: ['x', 2] } as unknown as typeof event;
      await expectLogError(() => codec.encode(bad, false), 'ERR_INVALID_ARGUMENT', 't.tags[1]');
    });

    it('rejects a stored value the schema does not hold with ERR_RANGE naming the path', async () => {
      const stored = Buffer.from(JSON.stringify({ ...event, attrs: { amount: 10 } }));
      await expectLogError(() => codec.decode(stored), 'ERR_RANGE', 't.attrs.amount');
      await expectLogError(() => codec.decode(Buffer.from('nope')), 'ERR_CORRUPTED', 'not JSON');
    });

    it('rejects a schema that is not a zod schema', async () => {
      await expectLogError(() => zodCodec({} as z.ZodType), 'ERR_INVALID_ARGUMENT', 'schema');
    });
  });
});
