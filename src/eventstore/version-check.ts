/**
 * Checks that the events a read returns run on without a gap, so nothing is
 * ever folded from partial history. Only what the reader asked for is
 * checked: from `fromVersion` on, or, for a read that starts at a log
 * position without a version, from the first event it finds.
 *
 * A read from a position with a version (a fold from a snapshot) cannot tell
 * from what it reads alone whether the versions it misses at the start were
 * destroyed or lie before the position: that one gap is `leading`, and the
 * reader settles it by looking behind the position (`settleLeading`), which
 * costs a scan only when such a gap is seen.
 */
import { OffsetOldest } from '../storage/index.js';
import { StreamGapError, type MissingVersions } from './errors.js';
import type { ReadStreamOptions } from './event-store.js';

export class VersionCheck {
  private expected: number | undefined;
  private readonly missing: MissingVersions[] = [];
  private firstGapAt = -1;
  /** The gap before the first version found, when the read started at a position. */
  private leading: MissingVersions | undefined;

  /**
   * `fromVersion` undefined: the first version found is where the run starts.
   * `fromPosition`: a read that starts there may find its first versions behind it.
   */
  constructor(
    private readonly streamId: string,
    private readonly fromVersion: number | undefined,
    private readonly startsAtPosition = false,
  ) {}

  /** Records one event as read, in log order; an event out of order throws at once. */
  see(version: number, position: number): void {
    if (this.fromVersion !== undefined && version < this.fromVersion) return;
    const expected = this.expected ?? this.fromVersion ?? version;
    if (version < expected) {
      throw new StreamGapError(this.streamId, [], position, { version, after: expected - 1 });
    }
    if (version > expected) {
      const gap = { from: expected, to: version - 1 };
      if (this.expected === undefined && this.startsAtPosition) this.leading = gap;
      else this.missing.push(gap);
      if (this.firstGapAt < 0) this.firstGapAt = position;
    }
    this.expected = version + 1;
  }

  /** Whether a leading gap waits for `settleLeading` before `throwIfGaps` can tell. */
  get unsettled(): boolean {
    return this.leading !== undefined;
  }

  /**
   * Settles the leading gap with the highest version the stream has before the
   * read's position (0 for none): what is there is not missing.
   */
  settleLeading(highestBefore: number): void {
    const gap = this.leading;
    this.leading = undefined;
    if (!gap || highestBefore >= gap.to) return;
    this.missing.unshift({ from: Math.max(gap.from, highestBefore + 1), to: gap.to });
  }

  /** Throws the gaps seen so far, all of them in one error; a leading gap not settled counts. */
  throwIfGaps(): void {
    if (this.leading) this.settleLeading(0);
    if (this.missing.length > 0) throw new StreamGapError(this.streamId, this.missing.slice(), this.firstGapAt);
  }
}

/** From the stream's start, or from a version asked for, the versions must run on; from a bare position, from what is found. */
export function versionCheck(streamId: string, options: ReadStreamOptions, fromVersion: number): VersionCheck {
  const fromStart = options.fromPosition === undefined || options.fromPosition === OffsetOldest;
  return new VersionCheck(
    streamId,
    fromStart || options.fromVersion !== undefined ? fromVersion : undefined,
    !fromStart,
  );
}
