/**
 * Durable writes for autoSync without blocking the event loop: fdatasync
 * runs on libuv's pool, and publishes that arrive while one is in flight
 * share the next one (group commit), so concurrent writers pay one sync.
 *
 * A failed sync is final: the kernel reports a writeback error to one
 * fdatasync of a file only, so a later one may succeed although the pages
 * that failed are lost. Every request and check after a failure fails with it.
 */
import fs from 'node:fs';

export class FileSyncer {
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private failure: Error | null = null;
  private readonly writeBacks = new Set<Promise<void>>();

  constructor(
    private readonly fd: number,
    /** The file's path: a write-back syncs through a descriptor of its own (writeBack). */
    private readonly path: string,
  ) {}

  /** Resolves once every byte written before this call is on disk. */
  request(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.inFlight) {
      this.inFlight = this.run();
      return this.inFlight;
    }
    // A sync already running may have started before our write: wait for the next one.
    if (!this.queued) {
      this.queued = this.inFlight.then(
        () => this.startQueued(),
        () => this.startQueued(),
      );
    }
    return this.queued;
  }

  /**
   * Starts writing the file's dirty pages back without waiting for it (the
   * rollover's synchronous sync then finds little left to do); a failure is
   * kept for the next request, check or syncNow. Not queued behind a running
   * sync as request() is: a publish loop that never leaves the microtask
   * queue would not start the queued one until it yields.
   *
   * It syncs through a descriptor of its own: the kernel reports a writeback
   * error once per open file description, so an error this sync sees is
   * still reported to the writer's own next sync (the rollover's), which
   * then refuses to move on, even before this sync's callback has run.
   */
  writeBack(): void {
    if (this.failure) return;
    let fd: number;
    try {
      fd = fs.openSync(this.path, 'r');
    } catch {
      // No descriptor to spare (EMFILE): the rollover's own sync writes it all.
      return;
    }
    const done = new Promise<void>((resolve) =>
      fs.fdatasync(fd, (err) => {
        if (err) this.failure ??= err;
        fs.close(fd, () => undefined);
        this.writeBacks.delete(done);
        resolve();
      }),
    );
    this.writeBacks.add(done);
  }

  /** fdatasync on the calling thread (rollover, close); a failure is kept as a pool sync's is. */
  syncNow(): void {
    this.check();
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      this.failure ??= err as Error;
      throw err;
    }
  }

  /** Throws the failure of an earlier sync, if one failed. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    if (this.failure) {
      this.inFlight = null;
      return Promise.reject(this.failure);
    }
    this.inFlight = this.run();
    return this.inFlight;
  }

  private run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      fs.fdatasync(this.fd, (err) => {
        if (!this.queued) this.inFlight = null;
        if (err) {
          this.failure ??= err;
          reject(err);
        } else resolve();
      });
    });
  }

  /** Resolves when no sync is running or queued on this file (before it is closed). */
  async idle(): Promise<void> {
    while (this.inFlight || this.queued || this.writeBacks.size > 0) {
      await Promise.all([(this.queued ?? this.inFlight)?.catch(() => undefined), ...this.writeBacks]);
    }
  }
}
