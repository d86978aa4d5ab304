/**
 * Durable writes for autoSync without blocking the event loop: fdatasync
 * runs on libuv's pool, and publishes that arrive while one is in flight
 * share the next one (group commit), so concurrent writers pay one sync.
 */
import fs from 'node:fs';

export class FileSyncer {
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly fd: number) {}

  /** Resolves once every byte written before this call is on disk. */
  request(): Promise<void> {
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

  private startQueued(): Promise<void> {
    this.queued = null;
    this.inFlight = this.run();
    return this.inFlight;
  }

  private run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      fs.fdatasync(this.fd, (err) => {
        if (!this.queued) this.inFlight = null;
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /** Resolves when no sync is running or queued on this file (before it is closed). */
  async idle(): Promise<void> {
    while (this.inFlight || this.queued) {
      await (this.queued ?? this.inFlight)?.catch(() => undefined);
    }
  }
}
