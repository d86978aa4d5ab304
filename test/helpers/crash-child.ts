// A writer for test/storage/crash.spec.ts to SIGKILL at random moments.
// Usage: fork(crash-child.js, [dir, JSON CrashConfig]). It opens the log with
// autoSync and works until it is killed: publishes crashMessage(offset)
// batches, deletes inside one segment (some messages, the first ones, all of
// them, the newest message) and compacts updates (one segment, or all of them
// in the 'compactions' mode), reporting each step over
// IPC (see CrashReport). A 'deleting' report is on its way to the parent
// before the delete starts; an 'ack' is sent only once publish resolved.
import { readdirSync } from 'node:fs';
import {
  compactUpdates,
  compactUpdatesMulti,
  compactUpdatesMultiOffsets,
  findUpdates,
} from '../../src/storage/compact.js';
import type { Log } from '../../src/index.js';
import { open } from './api.js';
import { crashMessage, crashOptions, seeded } from './crash-workload.js';
import type { CrashConfig, CrashReport } from './crash-workload.js';

const report = (r: CrashReport, wait: boolean): Promise<void> =>
  new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('crash-child must be forked with an IPC channel'));
    process.send(r, undefined, {}, (err) => (err ? reject(err) : resolve()));
    if (!wait) resolve();
  });

function segmentBases(dir: string): number[] {
  return readdirSync(dir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

async function publish(log: Log, rand: () => number): Promise<void> {
  const from = await log.nextOffset();
  const n = 1 + Math.floor(rand() * 4);
  const batch = Array.from({ length: n }, (_, j) => crashMessage(from + j));
  const to = await log.publish(batch);
  if (to !== from + n) throw new Error(`publish of [${from}, ${from + n}) returned ${to}`);
  await report({ t: 'ack', from, to }, false);
}

/**
 * Deletes some messages of one segment; false when it picked nothing. Without
 * `allowNewest`, the newest message of the log goes only with its whole head.
 */
async function deleteInSegment(
  log: Log,
  dir: string,
  rand: () => number,
  newest: boolean,
  allowNewest: boolean,
): Promise<boolean> {
  const bases = segmentBases(dir);
  const newestOffset = (await log.nextOffset()) - 1;
  let offsets: number[];
  let how: string;
  if (newest) {
    if (!allowNewest) return false;
    const held = (await log.consume(bases[bases.length - 1], 100_000)).messages;
    if (!held.length || held[held.length - 1].offset !== newestOffset) return false;
    offsets = [newestOffset];
    how = 'the newest message';
    if (rand() < 0.3 && held.length > 1) {
      offsets = [held[0].offset, newestOffset];
      how = 'the first and the newest message of the head';
    }
  } else {
    const i = Math.floor(rand() * bases.length);
    const end = i + 1 < bases.length ? bases[i + 1] : Infinity;
    const held = (await log.consume(bases[i], 100_000)).messages.map((m) => m.offset).filter((o) => o < end);
    if (!held.length) return false;
    const r = rand();
    if (r < 0.25) {
      offsets = held;
      how = 'a whole segment';
    } else if (r < 0.5) {
      offsets = held.slice(0, 1 + Math.floor(rand() * held.length));
      how = 'the first messages of a segment';
    } else {
      offsets = held.filter(() => rand() < 0.4);
      if (!offsets.length) offsets = [held[Math.floor(rand() * held.length)]];
      how = 'some messages of a segment';
    }
    if (!allowNewest && offsets.length < held.length) offsets = offsets.filter((o) => o !== newestOffset);
    if (!offsets.length) return false;
  }
  await report({ t: 'deleting', offsets, exact: true, how }, true);
  const res = await log.delete(offsets);
  const got = res.deleted.map((m) => m.offset).sort((a, b) => a - b);
  if (got.join() !== offsets.join()) throw new Error(`delete ${how} [${offsets.join()}] deleted [${got.join()}]`);
  await report({ t: 'deleted', offsets: got }, false);
  return true;
}

async function compact(log: Log): Promise<void> {
  const now = new Date(8_640_000_000_000_000);
  const candidates = [...(await findUpdates(log, now))].sort((a, b) => a - b);
  if (!candidates.length) return;
  await report({ t: 'deleting', offsets: candidates, exact: false, how: 'compactUpdates' }, true);
  const res = await compactUpdates(log, now);
  await report({ t: 'deleted', offsets: res.deleted.map((m) => m.offset).sort((a, b) => a - b) }, false);
}

/** Compacts every segment at once, returning messages or offsets; the multi helpers remove the segments it empties by name. */
async function compactMulti(log: Log, rand: () => number): Promise<void> {
  const now = new Date(8_640_000_000_000_000);
  const candidates = [...(await findUpdates(log, now))].sort((a, b) => a - b);
  if (!candidates.length) return;
  const messages = rand() < 0.5;
  const how = messages ? 'compactUpdatesMulti' : 'compactUpdatesMultiOffsets';
  await report({ t: 'deleting', offsets: candidates, exact: false, how }, true);
  const deleted = messages
    ? (await compactUpdatesMulti(log, now)).deleted.map((m) => m.offset)
    : [...(await compactUpdatesMultiOffsets(log, now)).deleted];
  if (deleted.join() !== candidates.join())
    throw new Error(`${how} deleted [${deleted.join()}], not [${candidates.join()}]`);
  await report({ t: 'deleted', offsets: deleted }, false);
}

async function main(): Promise<void> {
  const [dir, configJson] = process.argv.slice(2);
  const config = JSON.parse(configJson) as CrashConfig;
  const rand = seeded(config.seed);
  const log = await open(dir, crashOptions(config, { autoSync: true }));
  await report({ t: 'opened', next: await log.nextOffset() }, true);
  for (;;) {
    const r = rand();
    if (config.mode === 'compactions') {
      if (r < 0.9) await publish(log, rand);
      else await compactMulti(log, rand);
    } else if (config.mode === 'deletes') {
      if (r < 0.35) await publish(log, rand);
      else if (!(await deleteInSegment(log, dir, rand, r < 0.65, config.newest))) await publish(log, rand);
    } else if (r < 0.6) {
      await publish(log, rand);
    } else if (r < 0.9) {
      if (!(await deleteInSegment(log, dir, rand, r < 0.7, config.newest))) await publish(log, rand);
    } else {
      await compact(log);
    }
  }
}

main().catch(async (err: unknown) => {
  await report({ t: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }, true).catch(
    () => undefined,
  );
  process.exit(1);
});
