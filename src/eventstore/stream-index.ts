/**
 * What an append must know about a stream before it writes: its version and
 * the commands already applied to it. Both are rebuilt from the log (so they
 * survive a restart) and kept in bounded caches. Callers hold the stream's
 * turn (KeyedMutex) around every call, so a cache entry is never filled from
 * a read that raced with an append.
 */
import { LRUCache } from 'lru-cache';
import { isLogError, type Log } from '../storage/index.js';
import { parseEnvelope } from './envelope.js';
import { scanStream, type AppliedCommand, type StreamHead } from './stream-scan.js';

export type { AppliedCommand, StreamHead } from './stream-scan.js';

const EMPTY: StreamHead = { version: 0, lastOffset: -1 };
const SCAN_BATCH = 1000;

export class StreamIndex {
  private readonly heads: LRUCache<string, StreamHead> | undefined;
  private readonly commands: LRUCache<string, Map<string, AppliedCommand>> | undefined;

  /** maxStreams 0: nothing is cached, every question goes to the log. */
  constructor(
    private readonly log: Log,
    maxStreams: number,
  ) {
    if (maxStreams === 0) return;
    this.heads = new LRUCache({ max: maxStreams });
    // Sized by command count, so one busy stream pushes out others' ids. A stream with more ids than the whole bound
    // is still kept (counted as the bound, alone): refused, each command with an id would read all of it again.
    const maxSize = maxStreams * 100;
    this.commands = new LRUCache({ maxSize, sizeCalculation: (m) => Math.min(maxSize, Math.max(1, m.size)) });
  }

  /** The stream's version, from its newest event: one key-index lookup. */
  async head(streamId: string): Promise<StreamHead> {
    const cached = this.heads?.get(streamId);
    if (cached) return cached;
    let head = EMPTY;
    try {
      const last = await this.log.getByKey(streamId);
      head = { version: parseEnvelope(last).meta.streamVersion, lastOffset: last.offset };
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND')) throw err;
    }
    this.heads?.set(streamId, head);
    return head;
  }

  /** Whether heads are kept: without, learned() is a no-op. */
  get caches(): boolean {
    return this.heads !== undefined;
  }

  /** The head as a whole read of the stream found it, made under the stream's turn. */
  learned(streamId: string, head: StreamHead): void {
    this.heads?.set(streamId, head.version === 0 ? EMPTY : head);
  }

  /** Another process appended (a shared log said so): what we knew of the stream is stale. */
  forget(streamId: string): void {
    this.heads?.delete(streamId);
    this.commands?.delete(streamId);
  }

  /** The head if it is cached; no lookup, so no turn needed. */
  cachedHead(streamId: string): StreamHead | undefined {
    return this.heads?.get(streamId);
  }

  async applied(streamId: string, commandId: string): Promise<AppliedCommand | undefined> {
    let byId = this.commands?.get(streamId);
    if (!byId) {
      byId = await this.scanCommands(streamId);
      this.commands?.set(streamId, byId);
    }
    return byId.get(commandId);
  }

  /** Records a successful append to a stream that was at `previousVersion`. */
  appended(
    streamId: string,
    previousVersion: number,
    head: StreamHead,
    commandId: string | undefined,
    command: AppliedCommand,
  ): void {
    this.heads?.set(streamId, head);
    if (!this.commands) return;
    const byId = this.commands.get(streamId);
    if (byId) {
      if (commandId === undefined) return;
      byId.set(commandId, command);
      this.commands.set(streamId, byId); // re-measures the entry
    } else if (previousVersion === 0) {
      // A stream this append created has no other commands: no scan will ever be needed.
      this.commands.set(streamId, commandId === undefined ? new Map() : new Map([[commandId, command]]));
    }
    // Otherwise not loaded yet: the first lookup will find this append in the log.
  }

  /** Whether the stream's applied commands are in memory (a lookup needs no read of the stream). */
  knowsCommands(streamId: string): boolean {
    return this.commands?.has(streamId) ?? false;
  }

  /** The commands a whole read of the stream found, made under the stream's turn. */
  learnedCommands(streamId: string, byId: Map<string, AppliedCommand>): void {
    this.commands?.set(streamId, byId);
  }

  private async scanCommands(streamId: string): Promise<Map<string, AppliedCommand>> {
    return (await scanStream(this.log, streamId, 0, SCAN_BATCH)).commands;
  }
}
