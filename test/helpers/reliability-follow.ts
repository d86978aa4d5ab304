// Shared by test/reliability/processes.spec.ts (a writer that publishes,
// rolls over, deletes and compacts) and test/helpers/reliability-follower-child.ts
// (followWriter readers in other processes): the message every offset holds,
// the options, and what the children report.
import type { Options, PublishMessage } from '../../src/index.js';
import { GEN_BASE_MICROS } from './messages.js';
import type { MessageView } from './messages.js';

export const FOLLOW_OPTIONS: Options = { keyIndex: true, timeIndex: true, rollover: 2048 };

/**
 * The message at offset i: keys repeat (compaction has work), some are
 * absent; values from empty to a few KiB (records span pages and segments);
 * times grow.
 */
export function followMessage(i: number): PublishMessage {
  const size = i % 10 === 0 ? 0 : (i * 131) % 3000;
  const value = Buffer.alloc(size);
  for (let j = 0; j < size; j++) value[j] = (i * 7 + j * 13) & 0xff;
  return {
    key: i % 11 === 0 ? null : `k${i % 17}`,
    value: size === 0 ? null : value,
    timeMicros: GEN_BASE_MICROS + i * 1000 + (i % 7),
  };
}

/** What reading offset i must give, as a comparable view. */
export function followView(i: number): MessageView {
  const m = followMessage(i);
  const hex = (b: unknown): string | null =>
    b === null || b === undefined ? null : Buffer.from(b as Buffer).toString('hex');
  return {
    offset: i,
    timeMicros: m.timeMicros as number,
    key: m.key === null ? null : Buffer.from(m.key as string).toString('hex'),
    value: hex(m.value),
  };
}

/** The modes of the follower children. */
export type FollowMode = 'tail' | 'lookups';

export type FollowReport =
  | { t: 'opened' }
  /** Reads so far: messages checked, the highest offset seen, calls made, errors that were allowed (deleted / not yet written). */
  | { t: 'progress'; checked: number; highest: number; calls: number; allowedErrors: number }
  /** 'message': a message read wrongly; 'order': a consume went back or lied about nextOffset; 'error': a call failed. */
  | { t: 'violation'; kind: 'message' | 'order' | 'error'; text: string }
  /** The reader's whole log once it matched the writer's final state (or what it saw when it gave up). */
  | { t: 'final'; matched: boolean; offsets: number[]; next: number; checked: number; calls: number }
  | { t: 'failed'; message: string };

/** Parent -> child: the writer stopped; this is its whole log. */
export interface FollowStop {
  cmd: 'stop';
  offsets: number[];
  next: number;
}
