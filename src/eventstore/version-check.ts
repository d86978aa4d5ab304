/**
 * Checks that the events a read returns run on without a gap, so nothing is
 * ever folded from partial history. Only what the reader asked for is
 * checked: from `fromVersion` on, or, for a read that starts at a log
 * position without a version, from the first event it finds.
 */
import { StreamGapError, type MissingVersions } from './errors.js';

export class VersionCheck {
  private expected: number | undefined;
  private readonly missing: MissingVersions[] = [];
  private firstGapAt = -1;

  /** `fromVersion` undefined: the first version found is where the run starts. */
  constructor(
    private readonly streamId: string,
    private readonly fromVersion: number | undefined,
  ) {}

  /** Records one event as read, in log order; an event out of order throws at once. */
  see(version: number, position: number): void {
    if (this.fromVersion !== undefined && version < this.fromVersion) return;
    const expected = this.expected ?? this.fromVersion ?? version;
    if (version < expected) {
      throw new StreamGapError(this.streamId, [], position, { version, after: expected - 1 });
    }
    if (version > expected) {
      this.missing.push({ from: expected, to: version - 1 });
      if (this.firstGapAt < 0) this.firstGapAt = position;
    }
    this.expected = version + 1;
  }

  /** Throws the gaps seen so far, all of them in one error. */
  throwIfGaps(): void {
    if (this.missing.length > 0) throw new StreamGapError(this.streamId, this.missing.slice(), this.firstGapAt);
  }
}
