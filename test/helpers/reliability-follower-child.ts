// A followWriter reader in its own process, for test/reliability/processes.spec.ts.
// Usage: fork(reliability-follower-child.js, [dir, mode, seed]). It reads
// the log another process writes, checks every message it gets against
// followMessage(offset) and reports each violation over IPC: a message that
// differs from what was published at its offset (a half-written or wrong
// one), a consume that goes back or skips ahead wrongly, an error other than
// "deleted" or "not there yet", or anything thrown that is not a LogError.
// On {cmd:'stop'} it reads until its whole log is the writer's final one.
import { LogError, OffsetNewest, OffsetOldest } from '../../src/index.js';
import type { Log, Message } from '../../src/index.js';
import { open } from './api.js';
import { seeded } from './crash-workload.js';
import { sendReport } from './reliability-fork.js';
import { view } from './reliability-model.js';
import { FOLLOW_OPTIONS, followView } from './reliability-follow.js';
import type { FollowMode, FollowReport, FollowStop } from './reliability-follow.js';
import { GEN_BASE_MICROS } from './messages.js';

const report = (r: FollowReport): Promise<void> => sendReport(r);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let checked = 0;
let calls = 0;
let allowedErrors = 0;
let highest = -1;
let lastProgress = Date.now();
/** A report at least every second: the parent takes a child silent for long to be hung. */
async function progress(): Promise<void> {
  if (Date.now() - lastProgress < 1000) return;
  lastProgress = Date.now();
  await report({ t: 'progress', checked, highest, calls, allowedErrors });
}
let stop: FollowStop | null = null;

async function violation(text: string, kind: 'message' | 'order' | 'error' = 'order'): Promise<void> {
  await report({ t: 'violation', kind, text });
}

/** The message must be the one published at its offset. */
async function expectPublished(m: Message, what: string): Promise<void> {
  checked++;
  highest = Math.max(highest, m.offset);
  const got = JSON.stringify(view(m));
  const want = JSON.stringify(followView(m.offset));
  if (got !== want)
    await violation(
      `${what}: offset ${m.offset} read as ${got.slice(0, 300)}, published ${want.slice(0, 300)}`,
      'message',
    );
}

/** Runs a call; a LogError with one of `allowed` codes is counted, any other failure reported. */
async function call<T>(what: string, fn: () => Promise<T>, allowed: string[]): Promise<T | null> {
  calls++;
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LogError && allowed.includes(err.code)) {
      allowedErrors++;
      return null;
    }
    await violation(
      `${what}: ${err instanceof LogError ? `${err.code} ${err.message}` : `non-LogError ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`}`,
      'error',
    );
    return null;
  }
}

/** Follows the log from the oldest message on, in batches of varying size. */
async function tail(log: Log, rand: () => number): Promise<void> {
  let offset = OffsetOldest;
  let last = -1;
  while (!stop) {
    const max = 1 + Math.floor(rand() * 64);
    const r = await call(`consume(${offset}, ${max})`, () => log.consume(offset, max), []);
    if (!r) {
      await sleep(5);
      continue;
    }
    for (const m of r.messages) {
      if (m.offset <= last) await violation(`consume(${offset}, ${max}) went back: offset ${m.offset} after ${last}`);
      last = m.offset;
      await expectPublished(m, `consume(${offset}, ${max})`);
    }
    if (r.messages.length > 0 && r.nextOffset !== last + 1)
      await violation(`consume(${offset}, ${max}): nextOffset ${r.nextOffset} after offset ${last}`);
    if (offset >= 0 && r.nextOffset < offset)
      await violation(`consume(${offset}, ${max}): nextOffset ${r.nextOffset} went back`);
    if (r.messages.length === 0 && r.nextOffset === offset) await sleep(1 + Math.floor(rand() * 3));
    offset = r.nextOffset;
    await progress();
  }
}

/** Random get, getByKey and getByTime of what the reader sees. */
async function lookups(log: Log, rand: () => number): Promise<void> {
  while (!stop) {
    const next = await call('nextOffset()', () => log.nextOffset(), []);
    if (next === null || next === 0) {
      await sleep(2);
      continue;
    }
    const o = Math.floor(rand() * next);
    const got = await call(`get(${o})`, () => log.get(o), ['ERR_NOT_FOUND']);
    if (got) {
      if (got.offset !== o) await violation(`get(${o}) answered offset ${got.offset}`, 'message');
      await expectPublished(got, `get(${o})`);
    }
    const newest = await call('get(OffsetNewest)', () => log.get(OffsetNewest), ['ERR_INVALID_OFFSET']);
    if (newest) await expectPublished(newest, 'get(OffsetNewest)');
    const key = `k${Math.floor(rand() * 17)}`;
    const byKey = await call(`getByKey(${key})`, () => log.getByKey(key), ['ERR_NOT_FOUND']);
    if (byKey) {
      if (byKey.key?.toString() !== key)
        await violation(`getByKey(${key}) answered key ${byKey.key?.toString()}`, 'message');
      await expectPublished(byKey, `getByKey(${key})`);
    }
    const ms = GEN_BASE_MICROS / 1000 + Math.floor(rand() * (next + 5));
    // An empty head (its newest message was deleted) answers ERR_INVALID_OFFSET, as in klevdb.
    const byTime = await call(`getByTime(${ms})`, () => log.getByTime(new Date(ms)), [
      'ERR_NOT_FOUND',
      'ERR_INVALID_OFFSET',
    ]);
    if (byTime) {
      if (byTime.timeMicros < ms * 1000)
        await violation(`getByTime(${ms} ms) answered a message of ${byTime.timeMicros} µs, before it`, 'message');
      await expectPublished(byTime, `getByTime(${ms})`);
    }
    await progress();
    await sleep(Math.floor(rand() * 2));
  }
}

/** Reads until the whole log is the writer's final one (or 20 s pass). */
async function settle(log: Log, want: FollowStop): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const offsets: number[] = [];
    let offset = OffsetOldest;
    for (let n = 0; n < 100_000; n++) {
      const r = await call(`consume(${offset}, 500) while settling`, () => log.consume(offset, 500), []);
      if (!r) break;
      for (const m of r.messages) {
        offsets.push(m.offset);
        await expectPublished(m, 'final consume');
      }
      if (r.nextOffset === offset) break;
      offset = r.nextOffset;
    }
    const next = (await call('nextOffset() while settling', () => log.nextOffset(), [])) ?? -1;
    const matched = next === want.next && offsets.join() === want.offsets.join();
    if (matched || Date.now() > deadline) {
      await report({ t: 'final', matched, offsets, next, checked, calls });
      return;
    }
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const [dir, mode, seed] = process.argv.slice(2) as [string, FollowMode, string];
  const rand = seeded(Number(seed));
  let stopped: (s: FollowStop) => void = () => undefined;
  const stopping = new Promise<FollowStop>((resolve) => (stopped = resolve));
  process.on('message', (m: FollowStop) => {
    if (m.cmd === 'stop') {
      stop = m;
      stopped(m);
    }
  });
  const log = await open(dir, { ...FOLLOW_OPTIONS, readonly: true, followWriter: true });
  await report({ t: 'opened' });
  await (mode === 'tail' ? tail(log, rand) : lookups(log, rand));
  await settle(log, await stopping);
  await log.close();
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    await report({ t: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }).catch(
      () => undefined,
    );
    process.exit(1);
  },
);
