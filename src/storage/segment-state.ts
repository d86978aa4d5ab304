/**
 * The mutable state of an open log: its segment list, the head's writer and
 * the writers being retired. Everything that changes the list goes through
 * this object, which tells the log's reads (the key table, the time search)
 * what changed. Delete, follow and backup each receive the narrow view they
 * need, never the log itself.
 */
import type { ResolvedOptions } from './log-options.js';
import type { SegmentReader } from './segment/segment-reader.js';
import type { SegmentWriter } from './segment/segment-writer.js';

/** What backup reads: the segments and, on a writer, the head's writer. */
export interface SegmentsView {
  readonly dir: string;
  readonly opts: ResolvedOptions;
  /** Oldest first; the last one is the head. */
  readonly segments: readonly SegmentReader[];
  readonly writer: SegmentWriter | null;
  readonly head: SegmentReader;
}

/** What a segment that stops taking appends is reported through. */
export interface SealNotes {
  /** A segment stopped taking appends: its keys join the key table. */
  noteSealed(reader: SegmentReader): void;
}

/** What a delete changes: one segment replaced by its rewrite, and on the head its writer. */
export interface SegmentRewrites extends SegmentsView, SealNotes {
  /** Closes a writer once its pending syncs finish. */
  retire(writer: SegmentWriter): void;
  /**
   * Replaces `count` segments from `at` by `replacement` (none: they are gone); `writer` is the new
   * head's, when the head was rewritten.
   */
  replace(at: number, replacement: SegmentReader[], writer?: SegmentWriter, count?: number): void;
  /** Work that may finish after the call that started it (removing files); close waits for it. */
  background(task: Promise<unknown>): void;
}

/** What a follower changes: the whole list, matched to the directory. */
export interface FollowedSegments extends SegmentsView, SealNotes {
  reset(segments: SegmentReader[]): void;
}

/** What the log's reads derive from the list and keep up to date. */
export interface SegmentObserver extends SealNotes {
  /** The segment list changed (rollover, rewrite, a follower's rescan). */
  segmentsChanged(): void;
}

export class SegmentState implements SegmentRewrites, FollowedSegments {
  #segments: SegmentReader[];
  #writer: SegmentWriter | null;
  #observer: SegmentObserver | null = null;
  /** Writer handles retired by rollover or rewrite, closed once their syncs finish, and files being removed. */
  readonly #background = new Set<Promise<unknown>>();
  /** A retired writer's sync that failed after the log moved on: every later publish and sync fails with it. */
  #failure: Error | null = null;

  constructor(
    readonly dir: string,
    readonly opts: ResolvedOptions,
    segments: SegmentReader[],
    writer: SegmentWriter | null,
  ) {
    this.#segments = segments;
    this.#writer = writer;
  }

  /** At most one; the log's reads. */
  observe(observer: SegmentObserver): void {
    this.#observer = observer;
  }

  get segments(): readonly SegmentReader[] {
    return this.#segments;
  }

  get writer(): SegmentWriter | null {
    return this.#writer;
  }

  get head(): SegmentReader {
    return this.#segments[this.#segments.length - 1]!;
  }

  noteSealed(reader: SegmentReader): void {
    this.#observer?.noteSealed(reader);
  }

  retire(writer: SegmentWriter): void {
    const p = writer
      .close()
      .catch((err: unknown) => {
        this.#failure ??= err as Error;
      })
      .finally(() => this.#background.delete(p));
    this.#background.add(p);
  }

  /** Throws the failure of a retired writer's sync, if one failed. */
  checkRetired(): void {
    if (this.#failure) throw this.#failure;
  }

  /** Work that may finish after the call that started it (removing files); close waits for it. */
  background(task: Promise<unknown>): void {
    const p = task.finally(() => this.#background.delete(p));
    this.#background.add(p);
  }

  /** Waits for every retired writer to close and every removal to finish; throws if a writer's last sync failed. */
  async settle(): Promise<void> {
    await Promise.all([...this.#background]);
    this.checkRetired();
  }

  /** A rollover: `reader` is the new head, written by `writer`. */
  append(reader: SegmentReader, writer: SegmentWriter): void {
    this.#segments.push(reader);
    this.#changed();
    this.#writer = writer;
  }

  replace(at: number, replacement: SegmentReader[], writer?: SegmentWriter, count = 1): void {
    if (writer) this.#writer = writer;
    this.#segments.splice(at, count, ...replacement);
    this.#changed();
  }

  reset(segments: SegmentReader[]): void {
    this.#segments = segments;
    this.#changed();
  }

  #changed(): void {
    this.#observer?.segmentsChanged();
  }
}
