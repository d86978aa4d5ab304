// Child of test/reliability/corruption.spec.ts: damages one case's log in
// every way the case asks for and reports, over IPC, each damage's
// violations (see reliability-corrupt.ts), a tick per damage for the
// parent's watchdog, and the memory it used.
// Usage: fork(reliability-corrupt-child.js, [dir, JSON CorruptCase]).
import fs from 'node:fs';
import path from 'node:path';
import type { CorruptCase, Outcome, Transcript, Violation } from './reliability-corrupt.js';
import {
  caseName,
  checkReference,
  classify,
  compareTranscript,
  describeByte,
  lastRecordStart,
  restore,
  targetFiles,
  transcript,
  writePristine,
} from './reliability-corrupt.js';
import { sendReport } from './reliability-fork.js';

/** What the child reports. */
export type CorruptReport =
  | { t: 'reference'; problems: string[]; calls: number }
  | { t: 'tick'; n: number; what: string }
  /** `violations`: not explained by a documented limit; `known`: ids of the documented limits this damage shows. */
  | { t: 'violations'; what: string; violations: string[]; known: string[] }
  | { t: 'done'; damages: number; calls: number; largestBuffer: number; rssGrowth: number; heapGrowth: number }
  | { t: 'failed'; message: string };

// Every Buffer the library allocates goes through these: remember the largest.
let largestBuffer = 0;
for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
  const original = Buffer[name] as (size: number, ...rest: unknown[]) => Buffer;
  (Buffer as unknown as Record<string, unknown>)[name] = function (size: number, ...rest: unknown[]): Buffer {
    if (size > largestBuffer) largestBuffer = size;
    return original.call(Buffer, size, ...rest);
  };
}

/** The peak resident set so far (Linux), else the current one. */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss;
}

interface Damage {
  what: string;
  apply(dir: string): void;
  /** Messages (from offset 0) that recover must keep: everything before the damage. */
  mustKeep: number;
  /** Recover may fail (the file header is gone). */
  headerDamage: boolean;
}

function damages(c: CorruptCase, files: Map<string, Buffer>): Damage[] {
  const out: Damage[] = [];
  const total = 6;
  for (const { kind, name } of targetFiles()) {
    const data = files.get(name) as Buffer;
    const file = (dir: string): string => path.join(dir, name);
    const recordOf = (at: number): number => {
      const m = /record (\d+)/.exec(describeByte(c, 'log', data, at, 0));
      return m ? Number(m[1]) : 0;
    };
    if (c.damage === 'flip') {
      for (let at = 0; at < data.length; at++) {
        out.push({
          what: `${name} byte ${at} flipped (${describeByte(c, kind, data, at, 0)})`,
          apply: (dir) => {
            const copy = Buffer.from(data);
            copy[at] = copy[at]! ^ 0xff;
            fs.writeFileSync(file(dir), copy);
          },
          mustKeep: kind === 'index' ? indexMustKeep(c, data, at, total) : recordOf(at),
          headerDamage: kind === 'log' && at < 8,
        });
      }
    } else if (kind === 'log') {
      const last = lastRecordStart(c, data);
      for (let len = last; len < data.length; len++) {
        out.push({
          what: `${name} cut to ${len} bytes (${len - last} of the last record's ${data.length - last})`,
          apply: (dir) => fs.truncateSync(file(dir), len),
          mustKeep: total - 1,
          headerDamage: len < 8,
        });
      }
    } else {
      const itemSize = c.indexes === 'both' ? 32 : 16;
      for (let len = data.length - itemSize; len < data.length; len++) {
        out.push({
          what: `${name} cut to ${len} bytes (${len - data.length + itemSize} of the last item's ${itemSize})`,
          apply: (dir) => fs.truncateSync(file(dir), len),
          mustKeep: total,
          headerDamage: false,
        });
      }
    }
  }
  return out;
}

/**
 * What recover must keep after an index byte flip: everything, except that a
 * V1 record's time is not checksummed, so where it and the index item
 * disagree (and the item still fits the index's own order) recover cannot
 * tell which is damaged and keeps the records before it (README, "Where V1
 * cannot detect damage").
 */
function indexMustKeep(c: CorruptCase, data: Buffer, at: number, total: number): number {
  const m = /index item (\d+) \(offset \d+\) time byte/.exec(describeByte(c, 'index', data, at, 0));
  return c.version === 'V1' && m ? Number(m[1]) : total;
}

/**
 * For the head: check sees the damage, and recover opens it and keeps a
 * prefix of at least `mustKeep` messages, which then passes check.
 */
function headViolations(c: CorruptCase, got: Transcript, d: Damage): Violation[] {
  if (c.target !== 'head') return [];
  const outcome = (call: string): Outcome | null => got.find(([n]) => n === call)?.[1] ?? null;
  const out: Violation[] = [];
  const checked = outcome('check');
  if (!checked || !('code' in checked) || checked.code !== 'ERR_CORRUPTED')
    out.push({
      call: 'check',
      outcome: checked,
      text: `check of the damaged head: ${JSON.stringify(checked)}, not ERR_CORRUPTED`,
    });
  const opened = outcome('recover: open');
  if (!opened || !('ok' in opened)) {
    if (!d.headerDamage)
      out.push({
        call: 'recover: open',
        outcome: opened,
        text: `recover: open failed: ${JSON.stringify(opened)} (only a damaged file header may stop recover)`,
      });
    return out;
  }
  const all = outcome('recover: consume all, 100 at a time');
  if (!all || !('ok' in all))
    return [
      ...out,
      {
        call: 'recover: consume all, 100 at a time',
        outcome: all,
        text: `consume all after a recover: ${JSON.stringify(all)}`,
      },
    ];
  const offsets = (all.ok as { offset: number }[]).map((m) => m.offset);
  if (!offsets.every((o, i) => o === i) || offsets.length < d.mustKeep) {
    out.push({
      call: 'recover: consume all, 100 at a time',
      outcome: all,
      text: `recover kept offsets [${offsets.join()}], must keep a prefix of at least ${d.mustKeep}`,
    });
  }
  const after = outcome('check after recover');
  if (!after || !('ok' in after))
    out.push({ call: 'check after recover', outcome: after, text: `check after recover: ${JSON.stringify(after)}` });
  return out;
}

async function main(): Promise<void> {
  const [dir, caseJson] = process.argv.slice(2) as [string, string];
  const c = JSON.parse(caseJson) as CorruptCase;
  const files = await writePristine(dir, c);
  const reference = await transcript(dir, c);
  await sendReport<CorruptReport>({ t: 'reference', problems: checkReference(c, reference), calls: reference.length });
  const rss0 = peakRss();
  const heap0 = process.memoryUsage().heapUsed;
  largestBuffer = 0;
  let calls = 0;
  const list = damages(c, files);
  for (const [n, d] of list.entries()) {
    restore(dir, files);
    d.apply(dir);
    await sendReport<CorruptReport>({ t: 'tick', n, what: d.what });
    const got = await transcript(dir, c);
    calls += got.length;
    const { unknown, known } = classify(c, d.what, [
      ...compareTranscript(c, reference, got),
      ...headViolations(c, got, d),
    ]);
    if (unknown.length || known.length)
      await sendReport<CorruptReport>({
        t: 'violations',
        what: `${caseName(c)}: ${d.what}`,
        violations: unknown,
        known,
      });
  }
  global.gc?.();
  await sendReport<CorruptReport>({
    t: 'done',
    damages: list.length,
    calls,
    largestBuffer,
    rssGrowth: peakRss() - rss0,
    heapGrowth: process.memoryUsage().heapUsed - heap0,
  });
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    await sendReport<CorruptReport>({
      t: 'failed',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    }).catch(() => undefined);
    process.exit(1);
  },
);
