// Torn and corrupt files (test/reliability/corruption.spec.ts): a small log
// is written once, then for every damage (a byte flipped, a file cut) the
// directory is restored, damaged and read back with every read call. Each
// answer must be the answer the undamaged log gives (the reference, itself
// checked against what was published) or ERR_CORRUPTED. Runs in a child
// (test/helpers/reliability-corrupt-child.ts) so that a read stuck in a
// synchronous loop is caught by the parent's watchdog.
import fs from 'node:fs';
import path from 'node:path';
import { LogError, OffsetNewest, OffsetOldest, V1, V2 } from '../../src/index.js';
import type { Log, Options, PublishMessage } from '../../src/index.js';
import { check, open } from './api.js';
import { segmentFile } from './fs.js';
import { expectedView, GEN_BASE_MICROS, V1_RECORD_OVERHEAD, V2_HEADER, V2_RECORD_OVERHEAD } from './messages.js';
import type { MessageView } from './messages.js';
import { view } from './reliability-model.js';

export interface CorruptCase {
  version: 'V1' | 'V2';
  /** Both indexes, or none (16-byte items). */
  indexes: 'both' | 'none';
  /** The damaged segment: the head of a one-segment log, or the sealed first of two. */
  target: 'head' | 'sealed';
  damage: 'flip' | 'cut';
}

export const caseName = (c: CorruptCase): string =>
  `${c.version}, ${c.indexes === 'both' ? 'key+time index' : 'no index'}, ${c.target} segment`;

/** The messages of the damaged segment: repeated, empty and absent keys, equal and decreasing times. */
export const TARGET_MESSAGES: PublishMessage[] = [
  { key: 'a', value: 'first', timeMicros: GEN_BASE_MICROS },
  { key: 'b', value: 'x', timeMicros: GEN_BASE_MICROS + 1_000_000 },
  { key: 'a', value: null, timeMicros: GEN_BASE_MICROS + 1_000_000 },
  { key: null, value: 'no key', timeMicros: GEN_BASE_MICROS + 500_000 },
  { key: 'b', value: 'vv', timeMicros: GEN_BASE_MICROS + 3_000_250 },
  { key: 'c', value: 'last one', timeMicros: GEN_BASE_MICROS + 3_000_999 },
];
/** Published after a rollover when the target is the sealed segment. */
export const TAIL_MESSAGES: PublishMessage[] = [
  { key: 'a', value: 'tail', timeMicros: GEN_BASE_MICROS + 5_000_000 },
  { key: 'd', value: 'tail 2', timeMicros: GEN_BASE_MICROS + 6_000_000 },
];

export function caseOptions(c: CorruptCase, extra: Options = {}): Options {
  const both = c.indexes === 'both';
  return { keyIndex: both, timeIndex: both, version: { newSegmentsVersion: c.version === 'V1' ? V1 : V2 }, ...extra };
}

export const published = (c: CorruptCase): PublishMessage[] =>
  c.target === 'sealed' ? [...TARGET_MESSAGES, ...TAIL_MESSAGES] : TARGET_MESSAGES;

/** Writes the log of a case into the empty `dir` and returns its files (name -> bytes). */
export async function writePristine(dir: string, c: CorruptCase): Promise<Map<string, Buffer>> {
  let log = await open(dir, caseOptions(c));
  await log.publish(TARGET_MESSAGES);
  if (c.target === 'sealed') {
    await log.close();
    // Any non-empty head is over a 1-byte rollover: the tail starts segment 6.
    log = await open(dir, caseOptions(c, { rollover: 1 }));
    await log.publish(TAIL_MESSAGES);
  }
  await log.close();
  const files = new Map<string, Buffer>();
  for (const name of fs.readdirSync(dir).sort())
    if (name !== '.lock') files.set(name, fs.readFileSync(path.join(dir, name)));
  const want = c.target === 'sealed' ? [0, 6] : [0];
  const names = want.flatMap((o) => [segmentFile(o, 'index'), segmentFile(o, 'log')]).sort();
  if ([...files.keys()].join() !== names.join())
    throw new Error(`${caseName(c)}: expected files ${names.join()}, got ${[...files.keys()].join()}`);
  return files;
}

/** Puts the directory back to exactly `files` (and .lock). */
export function restore(dir: string, files: Map<string, Buffer>): void {
  for (const name of fs.readdirSync(dir))
    if (name !== '.lock' && !files.has(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  for (const [name, data] of files) fs.writeFileSync(path.join(dir, name), data);
}

/** What a byte of a segment file is, for reports: `record 3 (offset 3) time byte 2`. */
export function describeByte(c: CorruptCase, kind: 'log' | 'index', data: Buffer, at: number, base: number): string {
  if (kind === 'log') {
    const header = c.version === 'V2' ? V2_HEADER : 0;
    if (at < header) return `file header byte ${at}`;
    const fields: [string, number][] =
      c.version === 'V2'
        ? [
            ['crc', 4],
            ['offset', 8],
            ['time', 8],
            ['key length', 4],
            ['value length', 4],
          ]
        : [
            ['offset', 8],
            ['time', 8],
            ['key length', 4],
            ['value length', 4],
            ['crc', 4],
          ];
    let pos = header;
    for (let r = 0; pos < data.length; r++) {
      const lenAt = pos + (c.version === 'V2' ? 20 : 16);
      if (lenAt + 8 > data.length) return `record ${r} (offset ${base + r}), torn header byte ${at - pos}`;
      const k = data.readUInt32BE(lenAt);
      const v = data.readUInt32BE(lenAt + 4);
      const size = (c.version === 'V2' ? V2_RECORD_OVERHEAD : V1_RECORD_OVERHEAD) + k + v;
      if (at < pos + size) {
        let rel = at - pos;
        const name = `record ${r} (offset ${base + r})`;
        for (const [field, n] of fields) {
          if (rel < n) return `${name} ${field} byte ${rel}`;
          rel -= n;
        }
        if (rel < k) return `${name} key byte ${rel}`;
        rel -= k;
        if (rel < v) return `${name} value byte ${rel}`;
        return `${name} trailer byte ${rel - v}`;
      }
      pos += size;
    }
    return `byte ${at} past the records`;
  }
  const header = c.version === 'V2' ? 8 : 0;
  if (at < header) return `index header byte ${at}`;
  const fields: [string, number][] = [
    ['offset', 8],
    ['position', 8],
    ...(c.indexes === 'both'
      ? ([
          ['time', 8],
          ['key hash', 8],
        ] as [string, number][])
      : []),
  ];
  const itemSize = fields.reduce((s, [, n]) => s + n, 0);
  const item = Math.floor((at - header) / itemSize);
  let rel = (at - header) % itemSize;
  for (const [field, n] of fields) {
    if (rel < n) return `index item ${item} (offset ${base + item}) ${field} byte ${rel}`;
    rel -= n;
  }
  return `index byte ${at}`;
}

// --- calls and their outcomes -----------------------------------------------

/** A call's outcome as plain data: a value, a LogError, another error, or no answer in time. */
export type Outcome = { ok: unknown } | { code: string; message: string } | { thrown: string } | { hang: number };

const CALL_TIMEOUT_MS = 5_000;

/** Runs fn against a timer; turns what it gives into an Outcome. */
export async function attempt(fn: () => Promise<unknown>, ms = CALL_TIMEOUT_MS): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ hang: ms }), ms);
  });
  const run = (async (): Promise<Outcome> => {
    try {
      return { ok: await fn() };
    } catch (err) {
      if (err instanceof LogError) return { code: err.code, message: err.message };
      return { thrown: err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err) };
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every message from OffsetOldest, following nextOffset (bounded: a loop that never ends is an outcome too). */
async function consumeAll(log: Log, maxCount: number): Promise<MessageView[]> {
  const out: MessageView[] = [];
  let offset = OffsetOldest;
  for (let calls = 0; calls < 1000; calls++) {
    const r = await log.consume(offset, maxCount);
    out.push(...r.messages.map(view));
    if (r.nextOffset === offset) return out;
    offset = r.nextOffset;
  }
  throw new Error('consume never reached the end (1000 calls)');
}

async function consumeAllByKey(log: Log, key: string): Promise<MessageView[]> {
  const out: MessageView[] = [];
  let offset = OffsetOldest;
  for (let calls = 0; calls < 1000; calls++) {
    const r = await log.consumeByKey(key, offset, 2);
    out.push(...r.messages.map(view));
    if (r.nextOffset === offset) return out;
    offset = r.nextOffset;
  }
  throw new Error('consumeByKey never reached the end (1000 calls)');
}

/** The read calls made on an open log: name -> call. */
export function readCalls(c: CorruptCase): [string, (log: Log) => Promise<unknown>][] {
  const total = published(c).length;
  const calls: [string, (log: Log) => Promise<unknown>][] = [
    ['nextOffset()', (log) => log.nextOffset()],
    ['consume all, 2 at a time', (log) => consumeAll(log, 2)],
    ['consume all, 100 at a time', (log) => consumeAll(log, 100)],
    ['get(OffsetOldest)', async (log) => view(await log.get(OffsetOldest))],
    ['get(OffsetNewest)', async (log) => view(await log.get(OffsetNewest))],
  ];
  for (let i = 0; i < total; i++) calls.push([`get(${i})`, async (log) => view(await log.get(i))]);
  if (c.indexes === 'both') {
    for (const k of ['a', 'b', 'c', 'd', '', 'zz']) {
      calls.push([`getByKey(${JSON.stringify(k)})`, async (log) => view(await log.getByKey(k))]);
      if (k !== 'zz') calls.push([`consumeByKey(${JSON.stringify(k)}) all`, (log) => consumeAllByKey(log, k)]);
    }
    const msTimes = new Set<number>();
    for (const m of published(c)) {
      const ms = Math.floor((m.timeMicros as number) / 1000);
      for (const d of [-1, 0, 1]) msTimes.add(ms + d);
    }
    for (const ms of [...msTimes].sort((a, b) => a - b)) {
      calls.push([
        `getByTime(${ms - GEN_BASE_MICROS / 1000} ms after base)`,
        async (log) => view(await log.getByTime(new Date(ms))),
      ]);
    }
  }
  return calls;
}

/** One damage's outcome for every call, in order: [call, outcome]. */
export type Transcript = [string, Outcome][];

/**
 * Opens the directory (writer, then readonly), runs every read call on each,
 * then check, then an open with recover: true and the reads again, then
 * check again.
 */
export async function transcript(dir: string, c: CorruptCase): Promise<Transcript> {
  const out: Transcript = [];
  const run = async (prefix: string, opts: Options): Promise<void> => {
    let log: Log | null = null;
    const opened = await attempt(async () => {
      log = await open(dir, opts);
      return 'opened';
    });
    out.push([`${prefix}open`, opened]);
    if (!log) return;
    const l: Log = log;
    for (const [name, call] of readCalls(c)) out.push([`${prefix}${name}`, await attempt(() => call(l))]);
    out.push([`${prefix}close`, await attempt(() => l.close())]);
  };
  // check and a readonly open first: they see the files as the damage left them, before a writer's open repairs what a killed writer leaves.
  out.push(['check', await attempt(() => check(dir, caseOptions(c)))]);
  await run('readonly: ', caseOptions(c, { readonly: true }));
  await run('writer: ', caseOptions(c));
  await run('recover: ', caseOptions(c, { recover: true }));
  out.push(['check after recover', await attempt(() => check(dir, caseOptions(c)))]);
  return out;
}

/** Checks the undamaged log's answers against what was published; returns the problems. */
export function checkReference(c: CorruptCase, ref: Transcript): string[] {
  const msgs = published(c);
  const views = msgs.map((m, i) => expectedView(m, i));
  const problems: string[] = [];
  const want = (name: string, value: unknown): void => {
    const got = ref.find(([n]) => n === name);
    if (!got) return void problems.push(`reference has no call ${name}`);
    if (JSON.stringify(got[1]) !== JSON.stringify({ ok: value }))
      problems.push(`reference ${name}: got ${JSON.stringify(got[1])}, want ${JSON.stringify(value)}`);
  };
  const newest = (k: string): MessageView => {
    const bytes = k === '' ? null : Buffer.from(k).toString('hex');
    return [...views].reverse().find((v) => v.key === bytes) as MessageView;
  };
  for (const prefix of ['writer: ', 'readonly: ', 'recover: ']) {
    want(`${prefix}open`, 'opened');
    want(`${prefix}nextOffset()`, msgs.length);
    want(`${prefix}consume all, 100 at a time`, views);
    want(`${prefix}consume all, 2 at a time`, views);
    views.forEach((v, i) => want(`${prefix}get(${i})`, v));
    if (c.indexes === 'both') {
      for (const k of c.target === 'sealed' ? ['a', 'b', 'c', 'd'] : ['a', 'b', 'c'])
        want(`${prefix}getByKey(${JSON.stringify(k)})`, newest(k));
      want(`${prefix}getByKey("")`, newest(''));
      want(
        `${prefix}consumeByKey("a") all`,
        views.filter((v) => v.key === Buffer.from('a').toString('hex')),
      );
    }
  }
  for (const [name, o] of ref)
    if (!('ok' in o) && !/getByKey\("(zz|d)"\)|getByTime/.test(name))
      problems.push(`reference ${name}: ${JSON.stringify(o)}`);
  want('check', undefined);
  return problems;
}

/** Calls whose answer may be lost by recover: it keeps a prefix of the head. */
const afterRecover = (name: string): boolean => name.startsWith('recover: ') || name === 'check after recover';

/** A call whose outcome is neither the undamaged one nor ERR_CORRUPTED. */
export interface Violation {
  call: string;
  outcome: Outcome | null;
  text: string;
}

/**
 * Compares a damaged transcript with the reference: every outcome must be
 * the reference's or ERR_CORRUPTED. After recover, a message may be gone
 * (the head keeps its readable prefix), but none may be wrong.
 */
export function compareTranscript(c: CorruptCase, ref: Transcript, got: Transcript): Violation[] {
  const refMap = new Map(ref);
  const violations: Violation[] = [];
  const add = (call: string, outcome: Outcome, text: string): void =>
    void violations.push({ call, outcome, text: `${call}: ${text}` });
  for (const [name, o] of got) {
    const r = refMap.get(name);
    const undamaged = JSON.stringify(r && 'ok' in r ? r.ok : r);
    if ('hang' in o) add(name, o, `no answer in ${o.hang} ms`);
    else if ('thrown' in o) add(name, o, `threw a non-LogError: ${o.thrown}`);
    else if ('code' in o) {
      if (o.code === 'ERR_CORRUPTED') continue;
      if (r && 'code' in r && r.code === o.code) continue;
      if (afterRecover(name) && (o.code === 'ERR_INVALID_OFFSET' || o.code === 'ERR_NOT_FOUND')) continue;
      add(name, o, `${o.code} (${o.message}); undamaged: ${undamaged}`);
    } else if (!r) {
      add(name, o, 'a call the undamaged log did not answer');
    } else if (JSON.stringify(o) !== JSON.stringify(r)) {
      if (afterRecover(name)) {
        const wrong = wrongMessages(c, o.ok);
        if (/nextOffset/.test(name) ? typeof o.ok === 'number' && o.ok <= published(c).length : wrong.length === 0)
          continue;
        add(name, o, `${JSON.stringify(o.ok)}; wrong: ${wrong.join('; ')}`);
      } else {
        add(name, o, `${JSON.stringify(o.ok)}; undamaged: ${undamaged}`);
      }
    }
  }
  return violations;
}

/** Messages in a value (a message view or a list of them) that differ from what was published at their offset. */
export function wrongMessages(c: CorruptCase, value: unknown): string[] {
  const byOffset = new Map(published(c).map((m, i) => [i, JSON.stringify(expectedView(m, i))]));
  const list = Array.isArray(value) ? value : [value];
  const wrong: string[] = [];
  for (const m of list) {
    if (m === null || typeof m !== 'object' || !('offset' in m)) continue;
    const want = byOffset.get((m as MessageView).offset);
    if (want !== JSON.stringify(m)) wrong.push(`${JSON.stringify(m)} is not what was published (${want ?? 'nothing'})`);
  }
  return wrong;
}

/** The messages in the value are the published ones but for their time. */
function sameButTime(c: CorruptCase, value: unknown): boolean {
  const byOffset = new Map(published(c).map((m, i) => [i, expectedView(m, i)]));
  return (Array.isArray(value) ? value : [value]).every((m) => {
    if (m === null || typeof m !== 'object' || !('offset' in m)) return true;
    const want = byOffset.get((m as MessageView).offset);
    return want !== undefined && want.key === (m as MessageView).key && want.value === (m as MessageView).value;
  });
}

/** Offsets of the messages in an outcome's value. */
const offsetsIn = (value: unknown): number[] =>
  (Array.isArray(value) ? value : [value])
    .filter((m) => m !== null && typeof m === 'object' && 'offset' in m)
    .map((m) => (m as MessageView).offset);

// --- documented limits ------------------------------------------------------

/**
 * Behaviour the README documents that the undamaged-or-ERR_CORRUPTED rule
 * does not cover (README, "Durability and corruption"): which damages and
 * calls it concerns and exactly which outcomes it allows there. Anything
 * else still fails.
 */
export interface DocumentedLimit {
  id: string;
  title: string;
  applies(c: CorruptCase, damage: string, call: string): boolean;
  tolerates(c: CorruptCase, o: Outcome | null): boolean;
}

const hasCode = (o: Outcome | null, ...codes: string[]): boolean => o !== null && 'code' in o && codes.includes(o.code);
/** Published messages only, and not `lost`. */
const realWithout = (c: CorruptCase, o: Outcome | null, lost: number): boolean =>
  o !== null && 'ok' in o && wrongMessages(c, o.ok).length === 0 && !offsetsIn(o.ok).includes(lost);

export const DOCUMENTED_LIMITS: DocumentedLimit[] = [
  {
    id: 'readonly-unindexed-tail',
    title:
      'a readonly open reads a head up to its last indexed record: bytes after it may be an append in progress, so it answers without them (an open for writing indexes them)',
    applies: (c, d, call) =>
      c.target === 'head' && /index cut to \d+ bytes \(0 of the last item/.test(d) && call.startsWith('readonly: '),
    tolerates: (c, o) =>
      realWithout(c, o, 5) ||
      hasCode(o, 'ERR_NOT_FOUND', 'ERR_INVALID_OFFSET') ||
      (o !== null && 'ok' in o && o.ok === 5),
  },
  {
    id: 'v1-time-unchecked',
    title:
      "V1's CRC covers only key and value: a record time flipped to a value its index item cannot contradict (no time index, or one the time chain hides) reads back as that time",
    applies: (c, d) => c.version === 'V1' && /record \d+ \(offset \d+\) time byte /.test(d),
    tolerates: (c, o) => o !== null && 'ok' in o && sameButTime(c, o.ok),
  },
];

/** Splits violations into unknown ones and the ids of the documented limits that explain the rest. */
export function classify(
  c: CorruptCase,
  damage: string,
  violations: Violation[],
): { unknown: string[]; known: string[] } {
  const unknown: string[] = [];
  const known = new Set<string>();
  for (const v of violations) {
    const f = DOCUMENTED_LIMITS.find((k) => k.applies(c, damage, v.call) && k.tolerates(c, v.outcome));
    if (f) known.add(f.id);
    else unknown.push(v.text);
  }
  return { unknown, known: [...known] };
}

/** The files a case damages: the target segment's log and index. */
export function targetFiles(): { kind: 'log' | 'index'; name: string }[] {
  return [
    { kind: 'log', name: segmentFile(0, 'log') },
    { kind: 'index', name: segmentFile(0, 'index') },
  ];
}

/** Byte ranges of the last record of a log file and of the last item of an index file. */
export function lastRecordStart(c: CorruptCase, data: Buffer): number {
  const overhead = c.version === 'V2' ? V2_RECORD_OVERHEAD : V1_RECORD_OVERHEAD;
  let pos = c.version === 'V2' ? V2_HEADER : 0;
  let last = pos;
  while (pos < data.length) {
    last = pos;
    const lenAt = pos + (c.version === 'V2' ? 20 : 16);
    pos += overhead + data.readUInt32BE(lenAt) + data.readUInt32BE(lenAt + 4);
  }
  return last;
}
