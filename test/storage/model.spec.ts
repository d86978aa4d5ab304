// Property tests: random operation sequences against an in-memory model of
// klevdb, and many overlapping async calls.
import { expect } from 'chai';
import fc from 'fast-check';
import { rm } from 'node:fs/promises';
import { LogError, OffsetNewest, OffsetOldest } from '../../src/index.js';
import type { Message, Options } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { makeTempDir } from '../helpers/fs.js';
import { consumeAll, GEN_BASE_MICROS, view, views } from '../helpers/messages.js';
import { LogModel } from '../helpers/model.js';
import type { ModelResult } from '../helpers/model.js';

const KEYS = ['a', 'b', 'c', 'dd', 'é', null] as const;
const QUERY_KEYS = ['a', 'b', 'c', 'dd', 'é', 'zz'] as const;
const BASE_MS = GEN_BASE_MICROS / 1000;

const messageArb = fc.record({
  key: fc.constantFrom(...KEYS),
  value: fc.oneof(fc.constant(null), fc.string({ maxLength: 40 })),
  // up to 10 s after the base, microsecond precision: times go back and forth
  dt: fc.integer({ min: 0, max: 10_000_000 }),
});

const opArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('publish' as const),
      batch: fc.array(messageArb, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('consume' as const), pick: fc.nat(), max: fc.integer({ min: 1, max: 6 }) }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('get' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('getByKey' as const), key: fc.constantFrom(...QUERY_KEYS) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('getByTime' as const),
      ms: fc.integer({ min: BASE_MS - 50, max: BASE_MS + 10_050 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reopen' as const) }) },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

const toBytes = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s, 'utf8'));

/** Compares a call's outcome to the model's: same value (via `same`) or the same LogError code. */
async function expectOutcome<T, M>(
  what: string,
  call: Promise<T>,
  want: ModelResult<M>,
  same: (got: T, m: M) => void,
): Promise<void> {
  let got: T;
  try {
    got = await call;
  } catch (err) {
    if (!(err instanceof LogError)) throw err;
    if (!('error' in want))
      expect.fail(`${what}: expected ${JSON.stringify(want.ok)}, rejected with ${err.code}: ${err.message}`);
    expect(err.code, `${what} (${err.message})`).to.equal(want.error);
    return;
  }
  if ('error' in want) expect.fail(`${what}: expected ${want.error}, got ${JSON.stringify(got)}`);
  same(got, want.ok);
}

describe('model-based properties', function () {
  this.timeout(120_000);

  it('random publish/consume/get/getByKey/getByTime/reopen sequences match the model (tiny rollover)', async function () {
    const rollover = 300;
    const opts: Options = { keyIndex: true, timeIndex: true, rollover };
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops: Op[]) => {
        const dir = await makeTempDir('klevdb-model-');
        const model = new LogModel(rollover);
        let log = await open(dir, opts);
        try {
          const byOffset = (m: Message, offset: number): void => {
            expect(view(m)).to.deep.include({ ...modelView(model, offset) });
          };
          for (const op of ops) {
            const pickOffset = (n: number): number => (n % (model.nextOffset + 4)) - 2;
            switch (op.t) {
              case 'publish': {
                const batch = op.batch.map((b) => ({
                  key: toBytes(b.key),
                  value: toBytes(b.value),
                  timeMicros: GEN_BASE_MICROS + b.dt,
                }));
                const want = model.publish(batch);
                expect(await log.publish(batch)).to.equal(want);
                break;
              }
              case 'consume': {
                const offset = pickOffset(op.pick);
                await expectOutcome(
                  `consume(${offset}, ${op.max})`,
                  log.consume(offset, op.max),
                  model.consume(offset, op.max),
                  (got, m) => {
                    expect(got.nextOffset, `consume(${offset}, ${op.max}).nextOffset`).to.equal(m.nextOffset);
                    expect(
                      got.messages.map((x) => x.offset),
                      `consume(${offset}, ${op.max}) offsets`,
                    ).to.deep.equal(m.offsets);
                    got.messages.forEach((x) => byOffset(x, x.offset));
                  },
                );
                break;
              }
              case 'get': {
                const offset = pickOffset(op.pick);
                await expectOutcome(`get(${offset})`, log.get(offset), model.get(offset), (got, m) => byOffset(got, m));
                break;
              }
              case 'getByKey': {
                const hex = Buffer.from(op.key).toString('hex');
                await expectOutcome(`getByKey(${op.key})`, log.getByKey(op.key), model.getByKey(hex), (got, m) =>
                  byOffset(got, m),
                );
                break;
              }
              case 'getByTime': {
                await expectOutcome(
                  `getByTime(${op.ms})`,
                  log.getByTime(new Date(op.ms)),
                  model.getByTime(op.ms),
                  (got, m) => byOffset(got, m),
                );
                break;
              }
              case 'reopen': {
                await log.close();
                log = await open(dir, opts);
                break;
              }
            }
            expect(await log.nextOffset(), `nextOffset after ${op.t}`).to.equal(model.nextOffset);
          }
          expect(await log.stat()).to.deep.equal(model.stat());
          expect(views(await consumeAll(log))).to.deep.equal(model.messages.map((m) => modelView(model, m.offset)));
        } finally {
          await log.close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });

  it('overlapping async calls: publishes apply in call order, reads see consistent data', async function () {
    const callArb = fc.oneof(
      { weight: 3, arbitrary: fc.record({ t: fc.constant('publish' as const), n: fc.integer({ min: 1, max: 5 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('consume' as const), max: fc.integer({ min: 1, max: 50 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('get' as const), offset: fc.integer({ min: -2, max: 60 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('getByKey' as const), k: fc.integer({ min: 0, max: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('nextOffset' as const) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(callArb, { minLength: 2, maxLength: 25 }), async (calls) => {
        const dir = await makeTempDir('klevdb-concurrent-');
        const log = await open(dir, { keyIndex: true, timeIndex: true, rollover: 256 });
        try {
          let published = 0;
          const expectedNext: number[] = [];
          const promises: Promise<unknown>[] = calls.map((c) => {
            switch (c.t) {
              case 'publish': {
                const batch = Array.from({ length: c.n }, (_, j) => {
                  const seq = published + j; // the offset it must get if publishes apply in call order
                  return { key: `k${seq % 5}`, value: `v${seq}`, timeMicros: GEN_BASE_MICROS + seq };
                });
                published += c.n;
                expectedNext.push(published);
                return log.publish(batch);
              }
              case 'consume':
                return log.consume(OffsetOldest, c.max);
              case 'get':
                return log.get(c.offset).catch((e: unknown) => e);
              case 'getByKey':
                return log.getByKey(`k${c.k}`).catch((e: unknown) => e);
              case 'nextOffset':
                return log.nextOffset();
            }
          });
          const results = await Promise.all(promises);
          const publishResults = results.filter((_, i) => calls[i].t === 'publish');
          expect(publishResults, 'each publish resolves to the next offset in call order').to.deep.equal(expectedNext);

          const all = await consumeAll(log);
          expect(all.map((m) => m.value?.toString())).to.deep.equal(
            Array.from({ length: published }, (_, i) => `v${i}`),
          );
          const isStored = (m: Message): boolean =>
            all[m.offset] !== undefined && view(all[m.offset]).value === view(m).value;

          results.forEach((r, i) => {
            const c = calls[i];
            if (c.t === 'consume') {
              for (const m of (r as { messages: Message[] }).messages)
                expect(isStored(m), `consume saw offset ${m.offset}`).to.equal(true);
            } else if (c.t === 'get' || c.t === 'getByKey') {
              if (r instanceof LogError) {
                expect(['ERR_INVALID_OFFSET', 'ERR_NOT_FOUND'], `${c.t}: ${r.message}`).to.include(r.code);
              } else {
                const m = r as Message;
                expect(isStored(m), `${c.t} returned offset ${m.offset}`).to.equal(true);
                if (c.t === 'get' && c.offset >= 0) expect(m.offset).to.equal(c.offset);
                if (c.t === 'getByKey') expect(m.key?.toString()).to.equal(`k${c.k}`);
              }
            } else if (c.t === 'nextOffset') {
              expect(r).to.be.within(0, published);
            }
          });
          expect(await log.nextOffset()).to.equal(published);
          if (published > 0) expect((await log.get(OffsetNewest)).offset).to.equal(published - 1);
        } finally {
          await log.close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  });
});

function modelView(
  model: LogModel,
  offset: number,
): { offset: number; timeMicros: number; key: string | null; value: string | null } {
  const m = model.messages[offset];
  return { offset: m.offset, timeMicros: m.timeMicros, key: m.key, value: m.value };
}
