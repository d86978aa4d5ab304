/**
 * What a multi delete (delete-multi.ts) answers: its rounds gathered into
 * the deleted messages (deleteMulti, compactUpdatesMulti, …) or just their
 * offsets (the *Offsets variants).
 */
import { type ScannedSegment, buildScannedMessages } from './scan-memo.js';
import type { DeleteOffsetsResult, DeleteResult, Message } from './types.js';

/** What one round of a multi delete removed: the offsets always (listed or as runs), the messages when they are kept. */
export interface Round {
  messages: Message[];
  offsets: number[];
  /** First and last offset of each run of offsets removed (whole segments). */
  runs: number[];
  /** Those whole segments as the scan saw them, when the messages are kept: built at the end. */
  scans: ScannedSegment[];
  deletedSize: number;
}

export function roundSize(round: Round): number {
  let n = round.offsets.length;
  for (let i = 0; i < round.runs.length; i += 2) n += round.runs[i + 1]! - round.runs[i]! + 1;
  return n;
}

/** Gathers the rounds of one multi delete into its result. */
interface Gatherer<R> {
  add(round: Round): void;
  /** What was deleted: called once, at the end or when a round fails (the partial result). */
  result(): Promise<R>;
}

export interface Collector<R> {
  keepMessages: boolean;
  start(): Gatherer<R>;
}

// Building this many messages takes ~0.1 s: the event loop gets a turn after each such batch.
const BUILD_BATCH = 1 << 16;

/**
 * The deleted messages, in offset order. Those of whole segments are built
 * only in result(), once every round is done, into one array of the right
 * length: not in the rounds, between the renames and the rewrites' own
 * garbage, and not pushed from array to array (each of the million messages
 * survives to the end, so every copy of it is paid per message).
 */
class MessagesGatherer implements Gatherer<DeleteResult> {
  /** Each round's messages: a rewrite's list, or a whole segment still to build. */
  private readonly pieces: Array<Message[] | ScannedSegment> = [];
  private count = 0;
  private deletedSize = 0;

  add(round: Round): void {
    if (round.messages.length > 0) this.pieces.push(round.messages);
    for (const seg of round.scans) this.pieces.push(seg);
    this.count += round.messages.length;
    for (const seg of round.scans) this.count += seg.last - seg.first + 1;
    this.deletedSize += round.deletedSize;
  }

  async result(): Promise<DeleteResult> {
    const deleted = new Array<Message>(this.count);
    let at = 0;
    let yieldAt = BUILD_BATCH;
    for (const piece of this.pieces) {
      if (Array.isArray(piece)) for (const m of piece) deleted[at++] = m;
      else at = buildScannedMessages(piece, deleted, at);
      if (at >= yieldAt) {
        yieldAt = at + BUILD_BATCH;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    this.pieces.length = 0;
    return { deleted, deletedSize: this.deletedSize };
  }
}

class OffsetsGatherer implements Gatherer<DeleteOffsetsResult> {
  private readonly deleted = new Set<number>();
  private deletedSize = 0;

  add(round: Round): void {
    for (const o of round.offsets) this.deleted.add(o);
    const { runs } = round;
    for (let i = 0; i < runs.length; i += 2) for (let o = runs[i]!; o <= runs[i + 1]!; o++) this.deleted.add(o);
    this.deletedSize += round.deletedSize;
  }

  result(): Promise<DeleteOffsetsResult> {
    return Promise.resolve({ deleted: this.deleted, deletedSize: this.deletedSize });
  }
}

export const keepMessages: Collector<DeleteResult> = { keepMessages: true, start: () => new MessagesGatherer() };
export const keepOffsets: Collector<DeleteOffsetsResult> = { keepMessages: false, start: () => new OffsetsGatherer() };
