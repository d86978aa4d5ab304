/**
 * The offsets a multi delete still has to remove, handed to Log.delete round
 * after round. Log.delete needs the lowest one and checks every element of a
 * set it is given; over a million offsets and a hundred rounds that is 10^8
 * steps of a compaction. This set knows its lowest element (a sorted copy and
 * a cursor, amortised O(1)) and is built from offsets already checked, so
 * Log.delete skips both walks for it.
 */
export class RemainingOffsets extends Set<number> {
  private readonly ascending: Float64Array;
  private cursor = 0;

  /** `offsets` must be safe integers (the finders and deleteMulti check them). */
  constructor(offsets: Iterable<number>) {
    super(offsets);
    this.ascending = Float64Array.from(this).sort();
  }

  /** The lowest offset still in the set; Infinity when it is empty. */
  lowest(): number {
    const a = this.ascending;
    while (this.cursor < a.length && !this.has(a[this.cursor]!)) this.cursor++;
    return this.cursor < a.length ? a[this.cursor]! : Infinity;
  }
}
