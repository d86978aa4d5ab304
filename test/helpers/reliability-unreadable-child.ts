// Calls on a log directory with an unreadable file, for
// test/reliability/bad-input.spec.ts; run as an unprivileged user (root
// reads everything whatever the mode). Usage: fork(this, [dir, backupDir]).
// Reports one UnreadableReport: each call's outcome.
import { OffsetOldest, openBlocking, openTyped, stringCodec } from '../../src/index.js';
import { backup, check, open, recover } from './api.js';
import { sendReport } from './reliability-fork.js';

export interface CallOutcome {
  call: string;
  /** Offsets read when it succeeded (open calls consume everything). */
  ok?: number[];
  error?: { name: string; code?: string; logError: boolean; message: string };
}
export interface UnreadableReport {
  uid: number;
  outcomes: CallOutcome[];
}

/** What readAll needs of a raw or typed log. */
interface Reads {
  consume(offset: number, maxCount: number): Promise<{ nextOffset: number; messages: { offset: number }[] }>;
  close(): Promise<void>;
}

async function readAll(log: Reads): Promise<number[]> {
  try {
    const offsets: number[] = [];
    let offset = OffsetOldest;
    for (let i = 0; i < 1000; i++) {
      const r = await log.consume(offset, 100);
      offsets.push(...r.messages.map((m) => m.offset));
      if (r.nextOffset === offset) break;
      offset = r.nextOffset;
    }
    return offsets;
  } finally {
    await log.close();
  }
}

async function main(): Promise<void> {
  const [dir, backupDir] = process.argv.slice(2) as [string, string];
  // The options the log was written with (test/reliability/bad-input.spec.ts logDir).
  const o = { keyIndex: true, timeIndex: true };
  const calls: [string, () => Promise<number[] | void>][] = [
    ['open', async () => readAll(await open(dir, o))],
    ['open readonly', async () => readAll(await open(dir, { ...o, readonly: true }))],
    ['open followWriter', async () => readAll(await open(dir, { ...o, readonly: true, followWriter: true }))],
    ['openTyped', async () => readAll(await openTyped(dir, o, stringCodec, stringCodec))],
    ['openBlocking', async () => readAll(await openBlocking(dir, { ...o, readonly: true }))],
    ['check', () => check(dir, o)],
    ['recover', () => recover(dir, o)],
    ['backup', () => backup(dir, backupDir)],
  ];
  const outcomes: CallOutcome[] = [];
  for (const [call, fn] of calls) {
    try {
      const r = await fn();
      outcomes.push({ call, ok: r ?? [] });
    } catch (err) {
      const e = err as Error & { code?: string };
      outcomes.push({
        call,
        error: {
          name: e?.constructor?.name ?? typeof e,
          code: e?.code,
          logError: e?.name === 'LogError',
          message: String(e?.message),
        },
      });
    }
  }
  await sendReport<UnreadableReport>({ uid: process.getuid?.() ?? -1, outcomes });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
