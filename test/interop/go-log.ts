// A log driven through the real Go klevdb (klevgo): write, read, check,
// recover, migrate, delete, compact, trim and backup, with messages in the
// tests' MessageView form (bytes as hex, null for empty).
import type { Options, PublishMessage, Version } from '../../src/index.js';
import type { MessageView } from '../helpers/messages.js';
import { goFlags, GoProcess, runGo } from './klevgo.js';
import type { GoLine } from './klevgo.js';

export interface GoMessage {
  key: string | null;
  value: string | null;
  time?: number;
  typedKey?: unknown;
  keyEmpty?: boolean;
  typedValue?: unknown;
  valueEmpty?: boolean;
}

const b64 = (b: Uint8Array | string | null | undefined): string | null => {
  if (b === null || b === undefined) return null;
  return (typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b)).toString('base64');
};
const hex = (s: unknown): string | null => {
  if (s === null || s === undefined) return null;
  const buf = Buffer.from(s as string, 'base64');
  return buf.length === 0 ? null : buf.toString('hex');
};

const goView = (l: GoLine): MessageView => ({ offset: l['offset'] as number, timeMicros: l['time'] as number, key: hex(l['key']), value: hex(l['value']) });

/** The klevgo form of a publish message (it must carry timeMicros). */
export function toGo(pm: PublishMessage): GoMessage {
  if (pm.timeMicros === undefined) throw new Error('interop messages carry timeMicros');
  return { key: b64(pm.key), value: b64(pm.value), time: pm.timeMicros };
}

const batchesInput = (batches: GoMessage[][]): string => batches.map((b) => JSON.stringify(b)).join('\n') + '\n';

export interface GoCodecs {
  keyCodec?: 'bytes' | 'string' | 'stringopt' | 'varint' | 'json';
  valueCodec?: 'bytes' | 'string' | 'stringopt' | 'varint' | 'json';
}

function codecFlags(c: GoCodecs = {}): string[] {
  return [...(c.keyCodec ? ['-key-codec', c.keyCodec] : []), ...(c.valueCodec ? ['-value-codec', c.valueCodec] : [])];
}

/** Opens `dir` in Go with `opts`, publishes each batch with one Publish, closes; the next offset. */
export async function goWrite(dir: string, opts: Options, batches: (PublishMessage[] | GoMessage[])[], codecs?: GoCodecs): Promise<number> {
  const go = batches.map((b) => b.map((m) => ('timeMicros' in m ? toGo(m) : (m as GoMessage))));
  const lines = await runGo(['write', '-dir', dir, ...goFlags(opts), ...codecFlags(codecs)], batchesInput(go));
  return lines[0]!['nextOffset'] as number;
}

export interface GoReadResult {
  messages: MessageView[];
  /** Each line as klevgo printed it (with typed fields when a codec was given). */
  raw: GoLine[];
  nextOffset: number;
  stats: { segments: number; messages: number; size: number };
  byKey?: Record<string, number>;
  byTime?: [number, number][];
}

/** Every message of `dir` as Go reads it (a readonly open), with nextOffset, Stat and, with lookups, GetByKey/GetByTime answers. */
export async function goRead(dir: string, opts: Options, extra: GoCodecs & { lookups?: boolean } = {}): Promise<GoReadResult> {
  const args = ['read', '-dir', dir, ...goFlags({ ...opts, readonly: false }), ...codecFlags(extra)];
  if (extra.lookups) args.push('-lookups');
  const lines = await runGo(args);
  const summary = lines.pop()!;
  if (summary['end'] !== true) throw new Error(`klevgo read: no summary line: ${JSON.stringify(summary)}`);
  return {
    messages: lines.map(goView),
    raw: lines,
    nextOffset: summary['nextOffset'] as number,
    stats: summary['stats'] as GoReadResult['stats'],
    ...(summary['byKey'] ? { byKey: summary['byKey'] as Record<string, number> } : {}),
    ...(summary['byTime'] ? { byTime: summary['byTime'] as [number, number][] } : {}),
  };
}

export interface GoOutcome {
  ok: boolean;
  error?: string;
}

const outcome = async (args: string[]): Promise<GoOutcome> => (await runGo(args))[0] as unknown as GoOutcome;

export const goCheck = (dir: string, opts: Options): Promise<GoOutcome> => outcome(['check', '-dir', dir, ...goFlags(opts)]);
/** Check of several directories in one klevgo call. */
export const goCheckAll = async (dirs: string[], opts: Options): Promise<GoOutcome[]> =>
  (await runGo(['check', '-dir', dirs[0]!, ...goFlags(opts), ...dirs.slice(1)])) as unknown as GoOutcome[];
export const goRecover = (dir: string, opts: Options): Promise<GoOutcome> => outcome(['recover', '-dir', dir, ...goFlags(opts)]);
export const goMigrate = (dir: string, opts: Options, to: Version): Promise<GoOutcome> =>
  outcome(['migrate', '-dir', dir, ...goFlags(opts), '-to', to.name]);
/** klevdb.Backup of a closed directory, or Log.Backup through a log opened with `through`. */
export const goBackup = (dir: string, to: string, through?: Options): Promise<GoOutcome> =>
  outcome(['backup', '-dir', dir, '-to', to, ...(through ? ['-open', ...goFlags(through)] : [])]);

/** What a delete, compaction or trim answered: the deleted offsets, or how the log refused it. */
export type GoDeleted = { deleted: number[]; deletedSize: number } | { code: string; error: string };

const deleted = async (args: string[]): Promise<GoDeleted> => (await runGo(args))[0] as unknown as GoDeleted;

/** Log.Delete (one segment, the lowest offset's), or DeleteMulti with multi. */
export const goDelete = (dir: string, opts: Options, offsets: number[], multi = false): Promise<GoDeleted> =>
  deleted(['delete', '-dir', dir, ...goFlags(opts), '-offsets', offsets.join(','), ...(multi ? ['-multi'] : [])]);

/** CompactUpdatesMultiOffsets then CompactDeletesMultiOffsets (times in µs; null skips that half). */
export const goCompact = (dir: string, opts: Options, updatesBefore: number | null, deletesBefore: number | null): Promise<GoDeleted> =>
  deleted([
    'compact', '-dir', dir, ...goFlags(opts),
    ...(updatesBefore === null ? ['-no-updates'] : ['-updates-before', String(updatesBefore)]),
    ...(deletesBefore === null ? ['-no-deletes'] : ['-deletes-before', String(deletesBefore)]),
  ]);

/** TrimBy<by>MultiOffsets (age in µs). */
export const goTrim = (dir: string, opts: Options, by: 'offset' | 'count' | 'age' | 'size', value: number): Promise<GoDeleted> =>
  deleted(['trim', '-dir', dir, ...goFlags(opts), '-by', by, '-value', String(value)]);

/**
 * A log kept open in one Go process (`klevgo session`), as a TypeScript log is
 * kept open, so state that lives only while a log is open (the index time
 * chain a rollover or a delete of the whole head carries) is compared alike.
 */
export class GoSession {
  private constructor(private readonly proc: GoProcess) {}

  static start(dir: string, opts: Options): GoSession {
    return new GoSession(GoProcess.start(['session', '-dir', dir, ...goFlags(opts)]));
  }

  async publish(batch: PublishMessage[]): Promise<number | { code: string }> {
    const r = await this.proc.request({ op: 'publish', messages: batch.map(toGo) });
    return 'code' in r ? { code: r['code'] as string } : (r['nextOffset'] as number);
  }

  delete(offsets: number[], multi = false): Promise<GoDeleted> {
    return this.proc.request({ op: 'delete', offsets, multi }) as Promise<GoDeleted>;
  }

  /** Times in µs; null skips that half. */
  compact(updatesBefore: number | null, deletesBefore: number | null): Promise<GoDeleted> {
    return this.proc.request({ op: 'compact', updatesBefore, deletesBefore }) as Promise<GoDeleted>;
  }

  trim(by: 'offset' | 'count' | 'age' | 'size', value: number): Promise<GoDeleted> {
    return this.proc.request({ op: 'trim', by, value }) as Promise<GoDeleted>;
  }

  async read(): Promise<Omit<GoReadResult, 'raw'>> {
    const r = await this.proc.request({ op: 'read' });
    const lines = r['messages'] as GoLine[];
    return {
      messages: lines.map(goView),
      nextOffset: r['nextOffset'] as number,
      stats: r['stats'] as GoReadResult['stats'],
    };
  }

  async close(): Promise<void> {
    await this.proc.request({ op: 'close' });
  }

  /** Opens again, with another version for new segments and eager migration if asked. */
  async open(version?: Version, eager = false): Promise<void> {
    await this.proc.request({ op: 'open', version: version?.name ?? '', eager });
  }

  /** Ends the process (closing the log if open). */
  async end(): Promise<void> {
    await this.proc.stop();
  }

  kill(): void {
    this.proc.kill();
  }
}
