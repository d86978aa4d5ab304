// Shared by test/helpers/crash-child.ts (a writer that gets SIGKILLed) and
// test/storage/crash.spec.ts (the parent that checks what survived): the
// message every offset must hold, the reports the child sends, its settings.
import { V1, V2 } from '../../src/index.js';
import type { Options, PublishMessage } from '../../src/index.js';
import { deterministic } from './messages.js';

/**
 * The message at offset i. Keys repeat (so compactUpdates has work) and
 * some are absent; values vary in size and are sometimes empty.
 */
export function crashMessage(i: number): PublishMessage {
  return { ...deterministic(i), key: i % 9 === 0 ? null : `k${i % 7}` };
}

/** What the child reports, in order, over IPC. */
export type CrashReport =
  | { t: 'opened'; next: number }
  /** publish resolved (autoSync: on disk) for offsets [from, to) */
  | { t: 'ack'; from: number; to: number }
  /** about to delete `offsets`; `exact`: all in one segment, so all go or none */
  | { t: 'deleting'; offsets: number[]; exact: boolean; how: string }
  /** the delete (or compaction) announced last returned, deleting `offsets` */
  | { t: 'deleted'; offsets: number[] }
  | { t: 'failed'; message: string };

export interface CrashConfig {
  keyIndex: boolean;
  timeIndex: boolean;
  rollover: number;
  version: 'V1' | 'V2';
  seed: number;
  /**
   * 'mixed': publishes, deletes and compactions; 'deletes': mostly deletes, a publish between them;
   * 'compactions': publishes and whole-log compactions (the multi helpers, which remove emptied segments by name).
   */
  mode: 'mixed' | 'deletes' | 'compactions';
  /** Also delete the newest message (with others of the head left: the head is sealed and an empty head starts). */
  newest: boolean;
}

export function crashOptions(c: CrashConfig, extra: Options = {}): Options {
  return {
    keyIndex: c.keyIndex,
    timeIndex: c.timeIndex,
    rollover: c.rollover,
    version: { newSegmentsVersion: c.version === 'V1' ? V1 : V2 },
    ...extra,
  };
}

/** A small seeded generator, so a failing trial can be replayed from its seed. */
export { seededRandom as seeded } from '../../bench/workload.js';
