/**
 * The commits of one durable subscription: positions written to its offsets
 * log one after another, in the order they were asked for, the log
 * compacted now and then.
 */
import type { OffsetsLog } from './offsets-log.js';

/** Compact an owned offsets log after this many commits. */
const COMPACT_EVERY = 20_000;

export class CommitChain {
  private readonly key: Buffer;
  private committedOffset: number;
  private chain: Promise<void> = Promise.resolve();
  private sinceCompaction = 0;
  /** Commits started and not yet settled. */
  private queued = 0;

  constructor(
    private readonly offsets: OffsetsLog,
    name: string,
    committed: number,
  ) {
    this.key = Buffer.from(name);
    this.committedOffset = committed;
  }

  /** The newest position written. */
  get committed(): number {
    return this.committedOffset;
  }

  /** Commits `next` once the commits before it settled; rejects with this commit's failure. */
  commit(next: number): Promise<void> {
    // An idle chain starts at once (the benchmark's hot path: a commit per
    // batch, awaited before the next), and the chain is that write itself.
    const done = this.queued === 0 ? this.write(next) : this.chain.then(() => this.write(next));
    this.queued++;
    // The chain goes on after a failure; the caller gets the failure.
    this.chain = done.then(this.settle, this.settle);
    return done;
  }

  private readonly settle = (): void => void this.queued--;

  /** Resolves when every commit started so far settled (failed ones included). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** One publish, then its bookkeeping: no async layer of its own (a commit per batch of 100 is a hot path). */
  private write(next: number): Promise<void> {
    if (next === this.committedOffset) return Promise.resolve();
    return this.offsets.commit(this.key, next).then(() => this.wrote(next));
  }

  private wrote(next: number): Promise<void> | undefined {
    this.committedOffset = next;
    if (++this.sinceCompaction < COMPACT_EVERY) return undefined;
    this.sinceCompaction = 0;
    return this.offsets.compact();
  }
}
