// The model behind test/reliability/concurrency.spec.ts: the messages a log
// holds (with deletes), and what each call must answer in a given state.
// Where klevdb's answer depends on how messages fall into segments (which a
// delete rewrites one at a time), the model states what holds whatever the
// layout: consume never skips or invents a message, delete removes only
// messages asked for, from the lowest one asked for on, and so on.
// Publish times grow strictly, so that time lookups do not depend on the
// layout either.
import { LogError, OffsetNewest, OffsetOldest } from '../../src/index.js';
import type { ConsumeResult, DeleteResult, Message } from '../../src/index.js';
import { GEN_BASE_MICROS } from './messages.js';
import type { MessageView } from './messages.js';

export const view = (m: Message): MessageView => ({
  offset: m.offset,
  timeMicros: m.timeMicros,
  key: m.key === null ? null : m.key.toString('hex'),
  value: m.value === null ? null : m.value.toString('hex'),
});

const hex = (s: string | null): string | null =>
  s === null || s === '' ? null : Buffer.from(s, 'utf8').toString('hex');

/** The time of the n-th message ever published: strictly growing, some on whole milliseconds. */
export const timeOf = (n: number): number => GEN_BASE_MICROS + n * 1500 + (n % 3 === 0 ? 0 : 250);

export class StoreModel {
  /** Every message ever published, by offset. */
  readonly published: MessageView[] = [];
  /** Offsets still stored. */
  readonly stored = new Set<number>();

  get next(): number {
    return this.published.length;
  }

  clone(): StoreModel {
    const c = new StoreModel();
    c.published.push(...this.published);
    for (const o of this.stored) c.stored.add(o);
    return c;
  }

  /** Stored offsets, ascending. */
  offsets(): number[] {
    return [...this.stored].sort((a, b) => a - b);
  }

  /** Appends a batch (in call order, as the log applies it); returns the next offset. */
  publish(batch: { key: string | null; value: string | null }[]): number {
    for (const b of batch) {
      const offset = this.next;
      this.published.push({ offset, timeMicros: timeOf(offset), key: hex(b.key), value: hex(b.value) });
      this.stored.add(offset);
    }
    return this.next;
  }

  remove(offsets: Iterable<number>): void {
    for (const o of offsets) this.stored.delete(o);
  }

  /** The newest stored message with a key (hex, null for none). */
  newestWithKey(keyHex: string | null): MessageView | undefined {
    const list = this.offsets();
    for (let i = list.length - 1; i >= 0; i--) {
      const m = this.published[list[i]!]!;
      if (m.key === keyHex) return m;
    }
    return undefined;
  }
}

/** What a call gave: a value or a LogError code (anything else is a failure by itself). */
export type Got = { ok: unknown } | { code: string; message: string };

export async function settle(p: Promise<unknown>): Promise<Got> {
  try {
    return { ok: await p };
  } catch (err) {
    if (err instanceof LogError) return { code: err.code, message: err.message };
    throw err;
  }
}

const codeOf = (g: Got): string | null => ('code' in g ? g.code : null);

/** Problems with a consume answer in state `s` (empty: it is right). */
export function checkConsume(s: StoreModel, offset: number, max: number, g: Got): string[] {
  const what = `consume(${offset}, ${max})`;
  if (offset !== OffsetNewest && offset !== OffsetOldest && offset > s.next) {
    return codeOf(g) === 'ERR_INVALID_OFFSET'
      ? []
      : [`${what}: past the end, want ERR_INVALID_OFFSET, got ${JSON.stringify(g)}`];
  }
  if (!('ok' in g)) return [`${what}: ${g.code} ${g.message}`];
  const r = g.ok as ConsumeResult;
  const got = r.messages.map(view);
  if (offset === OffsetNewest || offset === s.next) {
    return r.nextOffset === s.next && got.length === 0
      ? []
      : [`${what}: want {nextOffset: ${s.next}, no messages}, got ${r.nextOffset} and [${got.map((m) => m.offset)}]`];
  }
  const start = offset === OffsetOldest ? -Infinity : offset;
  const problems: string[] = [];
  if (got.length > max) problems.push(`${what}: ${got.length} messages`);
  if (r.nextOffset > s.next) problems.push(`${what}: nextOffset ${r.nextOffset} past the end ${s.next}`);
  if (got.length === 0 && !(r.nextOffset > start))
    problems.push(`${what}: no messages and no progress (nextOffset ${r.nextOffset})`);
  if (got.length > 0 && r.nextOffset !== got[got.length - 1]!.offset + 1)
    problems.push(`${what}: nextOffset ${r.nextOffset} after [${got.map((m) => m.offset)}]`);
  // Exactly the stored messages in [start, nextOffset): none skipped, none invented, none deleted.
  const want = s
    .offsets()
    .filter((o) => o >= start && o < r.nextOffset)
    .map((o) => s.published[o]!);
  if (JSON.stringify(got) !== JSON.stringify(want))
    problems.push(
      `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)} (stored below nextOffset ${r.nextOffset})`,
    );
  return problems;
}

export function checkGet(s: StoreModel, offset: number, g: Got): string[] {
  const what = `get(${offset})`;
  const list = s.offsets();
  const answer = (m: MessageView | undefined, orCodes: string[] = []): string[] => {
    if ('ok' in g) {
      return m && JSON.stringify(view(g.ok as Message)) === JSON.stringify(m)
        ? []
        : [`${what}: got ${JSON.stringify(view(g.ok as Message))}, want ${JSON.stringify(m ?? orCodes)}`];
    }
    return orCodes.includes(g.code) ? [] : [`${what}: ${g.code} (${g.message}), want ${JSON.stringify(m ?? orCodes)}`];
  };
  if (offset === OffsetOldest)
    return list.length ? answer(s.published[list[0]!]) : answer(undefined, ['ERR_INVALID_OFFSET']);
  if (offset === OffsetNewest) {
    // The newest stored message, also when the head is empty (klevdb: ERR_INVALID_OFFSET from an emptied head).
    return list.length ? answer(s.published[list[list.length - 1]!]) : answer(undefined, ['ERR_INVALID_OFFSET']);
  }
  if (offset >= s.next) return answer(undefined, ['ERR_INVALID_OFFSET']);
  if (s.stored.has(offset)) return answer(s.published[offset]);
  return answer(undefined, ['ERR_NOT_FOUND']);
}

export function checkGetByKey(s: StoreModel, key: string, g: Got): string[] {
  const m = s.newestWithKey(hex(key));
  const what = `getByKey(${JSON.stringify(key)})`;
  if (!m)
    return codeOf(g) === 'ERR_NOT_FOUND'
      ? []
      : [`${what}: want ERR_NOT_FOUND, got ${JSON.stringify('ok' in g ? view(g.ok as Message) : g)}`];
  return 'ok' in g && JSON.stringify(view(g.ok as Message)) === JSON.stringify(m)
    ? []
    : [`${what}: want ${JSON.stringify(m)}, got ${JSON.stringify('ok' in g ? view(g.ok as Message) : g)}`];
}

/** klevdb's GetByTime with growing times: the first stored message at or after; empty segments are skipped (klevdb fails on an empty head). */
export function checkGetByTime(s: StoreModel, ms: number, g: Got): string[] {
  const ts = ms * 1000;
  const list = s.offsets();
  const what = `getByTime(${ms - GEN_BASE_MICROS / 1000} ms after base)`;
  const first = list.map((o) => s.published[o]!).find((m) => m.timeMicros >= ts);
  const allowed = list.length === 0 ? ['ERR_INVALID_OFFSET'] : [];
  if ('ok' in g) {
    const got = view(g.ok as Message);
    return first && JSON.stringify(got) === JSON.stringify(first)
      ? []
      : [`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(first ?? 'an error')}`];
  }
  if (allowed.includes(g.code)) return [];
  if (!first && list.length > 0 && g.code === 'ERR_NOT_FOUND') return [];
  return [`${what}: ${g.code} (${g.message}), want ${JSON.stringify(first ?? 'ERR_NOT_FOUND')}`];
}

/**
 * A delete's answer in state `s`: only stored messages that were asked for,
 * unchanged, in order, including the lowest offset asked for when it is
 * stored (klevdb rewrites the one segment that holds it). Returns the
 * problems and the deleted offsets.
 */
export function checkDelete(s: StoreModel, asked: number[], g: Got): { problems: string[]; deleted: number[] } {
  const what = `delete([${asked}])`;
  const lowest = Math.min(...asked);
  if (!('ok' in g)) {
    // As in klevdb, a lowest offset whose segment is gone is ERR_NOT_FOUND (nothing is deleted).
    if (g.code === 'ERR_NOT_FOUND' && !s.stored.has(lowest) && lowest < s.next) return { problems: [], deleted: [] };
    return { problems: [`${what}: ${g.code} ${g.message}`], deleted: [] };
  }
  const r = g.ok as DeleteResult;
  const got = r.deleted.map(view);
  const deleted = got.map((m) => m.offset);
  const problems: string[] = [];
  for (const m of got) {
    if (!asked.includes(m.offset)) problems.push(`${what}: deleted ${m.offset}, not asked for`);
    else if (!s.stored.has(m.offset)) problems.push(`${what}: deleted ${m.offset}, which was not stored`);
    else if (JSON.stringify(m) !== JSON.stringify(s.published[m.offset]))
      problems.push(`${what}: deleted ${JSON.stringify(m)}, stored ${JSON.stringify(s.published[m.offset])}`);
  }
  if (deleted.some((o, i) => i > 0 && o <= deleted[i - 1]!))
    problems.push(`${what}: deleted out of order [${deleted}]`);
  if (s.stored.has(lowest) && !deleted.includes(lowest))
    problems.push(`${what}: kept ${lowest}, the lowest offset asked for`);
  if (r.deletedSize > 0 !== deleted.length > 0)
    problems.push(`${what}: deletedSize ${r.deletedSize} for ${deleted.length} messages`);
  return { problems, deleted };
}
