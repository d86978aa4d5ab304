// Model-based concurrency: fast-check generates groups of calls (publish,
// consume, get, getByKey, getByTime, delete, trimByCount, trimByOffset,
// compactUpdates, sync, gc, stat, nextOffset, close) that are all fired
// without awaiting, sometimes with a turn of the event loop between two of
// them, then awaited together; a close ends the group and the log is
// reopened with another rollover (a tiny one: segments roll over every few
// messages) and autoSync. Calls take effect in call order, so each answer is
// checked against an in-memory model in the state of its call
// (test/helpers/reliability-model.ts); a retention helper reads over several
// turns and deletes later, so its delete is placed at every point after its
// call until one placement explains every answer of the group. After each
// group the whole log must be the model's, and at the end check passes and
// a reopen with check reads the same.
import { expect } from 'chai';
import { reportFigure } from '../helpers/figures.js';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { compactUpdates, OffsetNewest, OffsetOldest, trimByCount, trimByOffset, V1, V2 } from '../../src/index.js';
import type { DeleteResult, Log, Options } from '../../src/index.js';
import { check, open } from '../helpers/api.js';
import { consumeAll, GEN_BASE_MICROS } from '../helpers/messages.js';
import { fastTmp } from '../helpers/reliability-fork.js';
import {
  checkConsume,
  checkDelete,
  checkGet,
  checkGetByKey,
  checkGetByTime,
  settle,
  StoreModel,
  timeOf,
  view,
} from '../helpers/reliability-model.js';
import type { Got } from '../helpers/reliability-model.js';

const KEYS = ['a', 'b', 'c', '', null] as const;
const QUERY_KEYS = ['a', 'b', 'c', '', 'zz'] as const;
const FAR_FUTURE = new Date(8_640_000_000_000_000);
const HELPERS = ['trimByCount', 'trimByOffset', 'compactUpdates'] as const;
const NUM_RUNS = Number(process.env.KLEVDB_MODEL_RUNS ?? 300);
/** Set (npm run torture does) to replay a run exactly. */
const MODEL_SEED = process.env.KLEVDB_MODEL_SEED === undefined ? undefined : Number(process.env.KLEVDB_MODEL_SEED);

const messageArb = fc.record({
  key: fc.constantFrom(...KEYS),
  value: fc.oneof(fc.constant(null), fc.string({ maxLength: 30 })),
});

const opArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('publish' as const),
      batch: fc.array(messageArb, { minLength: 1, maxLength: 5 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('consume' as const), pick: fc.nat(), max: fc.integer({ min: 1, max: 7 }) }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('get' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('getByKey' as const), key: fc.constantFrom(...QUERY_KEYS) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('getByTime' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('delete' as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('trimByCount' as const), max: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('trimByOffset' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compactUpdates' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constantFrom('sync' as const, 'gc' as const, 'stat' as const, 'nextOffset' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('yield' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('close' as const) }) },
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;
type HelperOp = Extract<Op, { t: (typeof HELPERS)[number] }>;
const isHelper = (op: Op): op is HelperOp => (HELPERS as readonly string[]).includes(op.t);

/** At most one retention helper per group (their deletes are placed by search). */
const groupArb = fc.array(opArb, { minLength: 1, maxLength: 9 }).map((ops) => {
  let helpers = 0;
  return ops.map((op): Op => (isHelper(op) && helpers++ > 0 ? { t: 'stat' } : op));
});

const reopenArb = fc.record({ rollover: fc.constantFrom(64, 150, 400, 2000), autoSync: fc.boolean() });

/** A call as fired: the op with its arguments resolved against the state at its call. */
interface Fired {
  op: Op;
  arg: number;
  args: number[];
  promise: Promise<Got>;
}

describe('model-based concurrency', function () {
  this.timeout(120_000);

  it(`random groups of overlapping calls, deletes, retention, rollover, close/reopen and gc agree with the model (${NUM_RUNS} runs)`, async function () {
    let groupsRun = 0;
    let callsChecked = 0;
    /** How often the interesting things happened, so a run that exercised none of them fails. */
    const seen = { helperDeletes: 0, deletes: 0, closes: 0, maxSegments: 0, afterYield: 0, closedCalls: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('V1' as const, 'V2' as const),
        reopenArb,
        fc.array(fc.record({ ops: groupArb, reopen: reopenArb }), { minLength: 4, maxLength: 14 }),
        async (version, first, groups) => {
          const dir = await mkdtemp(path.join(fastTmp(), 'klevdb-model-'));
          const options = (o: { rollover: number; autoSync: boolean }): Options => ({
            keyIndex: true,
            timeIndex: true,
            rollover: o.rollover,
            autoSync: o.autoSync,
            version: { newSegmentsVersion: version === 'V1' ? V1 : V2 },
          });
          let log: Log = await open(dir, options(first));
          let model = new StoreModel();
          try {
            for (const [g, group] of groups.entries()) {
              const fired = await fire(log, model, group.ops);
              const results = await Promise.all(fired.map((f) => f.promise));
              const { model: after, problems } = explain(model, fired, results);
              if (problems.length) expect.fail(`group ${g} ${JSON.stringify(group.ops)}:\n  ${problems.join('\n  ')}`);
              model = after;
              groupsRun++;
              callsChecked += fired.length;
              const deletedSome = (i: number): boolean =>
                'ok' in results[i]! && (results[i]!.ok as DeleteResult).deleted.length > 0;
              seen.helperDeletes += fired.filter((f, i) => isHelper(f.op) && deletedSome(i)).length;
              seen.deletes += fired.filter((f, i) => f.op.t === 'delete' && deletedSome(i)).length;
              seen.closes += fired.filter((f) => f.op.t === 'close').length;
              seen.closedCalls += results.filter((r) => 'code' in r && r.code === 'ERR_CLOSED').length;
              seen.afterYield += group.ops.findIndex((op) => op.t === 'yield') >= 0 ? 1 : 0;
              for (const r of results)
                if ('ok' in r && r.ok !== null && typeof r.ok === 'object' && 'segments' in r.ok)
                  seen.maxSegments = Math.max(seen.maxSegments, (r.ok as { segments: number }).segments);
              if (fired.some((f) => f.op.t === 'close')) log = await open(dir, options(group.reopen));
              await expectLogIs(log, model, `after group ${g}`);
            }
            await log.close();
            await check(dir, options(first));
            log = await open(dir, { ...options(first), check: true });
            await expectLogIs(log, model, 'after a reopen with check');
          } finally {
            await log.close();
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: NUM_RUNS, seed: MODEL_SEED },
    );
    reportFigure('model-based concurrency', 'fast-check runs', NUM_RUNS);
    reportFigure(
      'model-based concurrency',
      'groups of overlapping calls (interleavings) checked against the model',
      groupsRun,
    );
    reportFigure('model-based concurrency', 'call results checked', callsChecked);
    expect(groupsRun, 'groups run').to.be.greaterThan(NUM_RUNS * 4 - 1);
    expect(callsChecked, 'calls checked').to.be.greaterThan(groupsRun * 2);
    for (const [what, n] of Object.entries(seen))
      expect(n, `${what} over all runs`).to.be.greaterThan(what === 'maxSegments' ? 3 : 0);
  });
});

/** Fires every call of a group, in order, without awaiting them ('yield' awaits one turn). */
async function fire(log: Log, model: StoreModel, ops: Op[]): Promise<Fired[]> {
  const fired: Fired[] = [];
  let next = model.next;
  let closed = false;
  const pick = (n: number): number => (n % (next + 4)) - 2; // OffsetOldest .. next + 1
  for (const op of ops) {
    let arg = 0;
    let args: number[] = [];
    let p: Promise<unknown>;
    switch (op.t) {
      case 'yield':
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      case 'publish': {
        // The offsets it will get if publishes apply in call order; its times follow them.
        const batch = op.batch.map((b, j) => ({ key: b.key, value: b.value, timeMicros: timeOf(next + j) }));
        if (!closed) next += batch.length;
        p = log.publish(batch);
        break;
      }
      case 'consume':
        arg = pick(op.pick);
        p = log.consume(arg, op.max);
        break;
      case 'get':
        arg = pick(op.pick);
        p = log.get(arg);
        break;
      case 'getByKey':
        p = log.getByKey(op.key);
        break;
      case 'getByTime':
        arg = GEN_BASE_MICROS / 1000 + (op.pick % (Math.ceil((next * 1500) / 1000) + 4)) - 1;
        p = log.getByTime(new Date(arg));
        break;
      case 'delete':
        args = [...new Set(op.picks.map((n) => n % (next + 1)))];
        p = log.delete(args);
        break;
      case 'trimByCount':
        arg = op.max;
        p = trimByCount(log, op.max);
        break;
      case 'trimByOffset':
        arg = pick(op.pick);
        p = trimByOffset(log, arg);
        break;
      case 'compactUpdates':
        p = compactUpdates(log, FAR_FUTURE);
        break;
      case 'sync':
        p = log.sync();
        break;
      case 'gc':
        p = log.gc(0);
        break;
      case 'stat':
        p = log.stat();
        break;
      case 'nextOffset':
        p = log.nextOffset();
        break;
      case 'close':
        closed = true;
        p = log.close();
        break;
    }
    fired.push({ op, arg, args, promise: settle(p) });
  }
  return fired;
}

/**
 * Replays a group against the model in call order and returns the state
 * after it. A helper's delete is tried at every point after its call (and
 * before a close, if it succeeded) until one explains every answer.
 */
function explain(model: StoreModel, fired: Fired[], results: Got[]): { model: StoreModel; problems: string[] } {
  const closeAt = fired.findIndex((f) => f.op.t === 'close');
  // A helper called after close is answered ERR_CLOSED like any call there.
  const h = fired.findIndex((f, i) => isHelper(f.op) && (closeAt < 0 || i < closeAt));
  const positions = h < 0 ? [fired.length] : Array.from({ length: fired.length - h }, (_, j) => h + 1 + j);
  let firstProblems: string[] = [];
  for (const k of positions) {
    const r = replay(model, fired, results, h, k, closeAt);
    if (r.problems.length === 0) return r;
    if (!firstProblems.length) firstProblems = r.problems;
  }
  return {
    model,
    problems: [`no placement of the retention helper's delete explains the answers; with it last:`, ...firstProblems],
  };
}

function replay(
  model: StoreModel,
  fired: Fired[],
  results: Got[],
  h: number,
  k: number,
  closeAt: number,
): { model: StoreModel; problems: string[] } {
  const s = model.clone();
  const problems: string[] = [];
  const concurrentDeletes = fired.some((f) => f.op.t === 'delete');
  let atHelperCall: StoreModel | null = null;
  const applyHelper = (): void => {
    const f = fired[h]!;
    const g = results[h]!;
    problems.push(
      ...checkHelper(f, g, atHelperCall!, s, concurrentDeletes, closeAt > h && (closeAt < k || k === fired.length)),
    );
    if ('ok' in g) s.remove((g.ok as DeleteResult).deleted.map((m) => m.offset));
  };
  for (let i = 0; i < fired.length; i++) {
    if (i === k && h >= 0) applyHelper();
    if (i === h) atHelperCall = s.clone();
    const { op, arg, args } = fired[i]!;
    const g = results[i]!;
    if (closeAt >= 0 && i > closeAt) {
      if (op.t === 'close') continue;
      if (!('code' in g) || g.code !== 'ERR_CLOSED')
        problems.push(`${op.t} after close: ${JSON.stringify(g)}, want ERR_CLOSED`);
      continue;
    }
    switch (op.t) {
      case 'publish': {
        const want = s.publish(op.batch);
        if (!('ok' in g) || g.ok !== want)
          problems.push(`publish of ${op.batch.length}: ${JSON.stringify(g)}, want next offset ${want}`);
        break;
      }
      case 'consume':
        problems.push(...checkConsume(s, arg, op.max, g));
        break;
      case 'get':
        problems.push(...checkGet(s, arg, g));
        break;
      case 'getByKey':
        problems.push(...checkGetByKey(s, op.key, g));
        break;
      case 'getByTime':
        problems.push(...checkGetByTime(s, arg, g));
        break;
      case 'delete': {
        const r = checkDelete(s, args, g);
        problems.push(...r.problems);
        s.remove(r.deleted);
        break;
      }
      case 'sync':
      case 'nextOffset':
        if (!('ok' in g) || g.ok !== s.next) problems.push(`${op.t}: ${JSON.stringify(g)}, want ${s.next}`);
        break;
      case 'stat': {
        const st = 'ok' in g ? (g.ok as { messages: number; segments: number; size: number }) : null;
        if (!st || st.messages !== s.stored.size || st.segments < 1)
          problems.push(`stat: ${JSON.stringify(g)}, want ${s.stored.size} messages`);
        break;
      }
      case 'gc':
      case 'close':
        if (!('ok' in g)) problems.push(`${op.t}: ${g.code} ${g.message}`);
        break;
      default:
        break; // the helper: its call reads the state only
    }
  }
  if (k === fired.length && h >= 0) applyHelper();
  return { model: s, problems };
}

/**
 * A retention helper's answer: the messages it deleted were stored when it
 * deleted them, unchanged, and are the ones its rule names. Without a
 * concurrent delete the rule is exact (the oldest stored for trimming, from
 * the first on; replaced messages for compaction); with one, it only deletes
 * stored messages. Closed under it: ERR_CLOSED.
 */
function checkHelper(
  f: Fired,
  g: Got,
  atCall: StoreModel,
  s: StoreModel,
  concurrentDeletes: boolean,
  closedBefore: boolean,
): string[] {
  const what = `${f.op.t}(${f.op.t === 'compactUpdates' ? 'far future' : f.arg})`;
  if ('code' in g) {
    if (g.code === 'ERR_CLOSED' && closedBefore) return [];
    return [`${what}: ${g.code} (${g.message})`];
  }
  if (closedBefore) return [`${what}: deleted after the log was closed`];
  const got = (g.ok as DeleteResult).deleted.map(view);
  const deleted = got.map((m) => m.offset);
  const problems: string[] = [];
  for (const m of got) {
    if (!s.stored.has(m.offset)) problems.push(`${what}: deleted ${m.offset}, which was not stored`);
    else if (JSON.stringify(m) !== JSON.stringify(s.published[m.offset]))
      problems.push(`${what}: deleted ${JSON.stringify(m)}, stored ${JSON.stringify(s.published[m.offset])}`);
  }
  if (problems.length || concurrentDeletes) return problems;
  // Without a concurrent delete the rule is exact. Its scan may read a little
  // past the next offset of its call (klevdb's does too: whole batches), so
  // what it names is judged in the state it deleted in.
  const stored = s.offsets();
  const atCallStored = atCall.offsets();
  let named: number[];
  let mustDelete: boolean;
  if (f.op.t === 'trimByCount') {
    named = stored.slice(0, Math.max(0, atCallStored.length - f.arg));
    mustDelete = named.length > 0;
  } else if (f.op.t === 'trimByOffset') {
    const before = f.arg === OffsetNewest ? atCall.next : f.arg === OffsetOldest ? -Infinity : f.arg;
    named = stored.filter((o) => o < before);
    mustDelete = atCallStored.some((o) => o < before);
  } else {
    const replaced = (st: StoreModel, list: number[]): number[] =>
      list.filter((o) => list.some((later) => later > o && st.published[later]!.key === st.published[o]!.key));
    named = replaced(s, stored);
    mustDelete = replaced(atCall, atCallStored).length > 0;
  }
  if (deleted.some((o) => !named.includes(o)))
    problems.push(`${what}: deleted [${deleted}], the rule names only [${named}]`);
  if (mustDelete && deleted.length === 0) problems.push(`${what}: deleted nothing, the rule names [${named}]`);
  // Trimming takes the oldest: one segment's share of them, from the first on.
  if (f.op.t !== 'compactUpdates' && named.slice(0, deleted.length).join() !== deleted.join())
    problems.push(`${what}: deleted [${deleted}], not the oldest of [${named}]`);
  return problems;
}

/** The whole log, read in small batches, is the model's; nextOffset too. */
async function expectLogIs(log: Log, model: StoreModel, when: string): Promise<void> {
  const all = (await consumeAll(log, 3)).map(view);
  expect(all, `the log ${when}`).to.deep.equal(model.offsets().map((o) => model.published[o]));
  expect(await log.nextOffset(), `nextOffset ${when}`).to.equal(model.next);
}
