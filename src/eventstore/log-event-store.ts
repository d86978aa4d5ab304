import { concatMap, defer, filter, map, type Observable } from 'rxjs';
import {
  openBlocking,
  LogError,
  OffsetOldest,
  type BlockingLog,
  type Message,
  type Options,
  type PublishMessage,
} from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { fromLog } from '../streams/from-log.js';
import { parseEnvelope, toRecorded, type RecordedEvent, type StoredEnvelope } from './envelope.js';
import type { AnyEventType, Event, EventsOf } from './event-type.js';
import type {
  AppendOptions,
  AppendResult,
  AppliedCommandOptions,
  EventStore,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  ReadStreamResult,
  SubscribeOptions,
  SubscribeToStreamOptions,
} from './event-store.js';
import { assertExpectedVersion, checkExpectedVersion, type ExpectedVersion } from './expected-version.js';
import { CommandIdReusedError, PartialAppendError } from './errors.js';
import { commandFingerprint } from './fingerprint.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { EventRegistry, ValidatedEvent } from './registry.js';
import { StreamIndex, type AppliedCommand, type StreamHead } from './stream-index.js';
import { markEventStoreLog } from './log-marker.js';
import { MemoryLog } from './memory-log.js';
import { appendedEvents, encodeAppend } from './new-events.js';
import { PublishGroup } from './publish-group.js';
import { checkId, checkOptionalId, checkPosition, checkPositiveInteger, checkStreamId } from './arguments.js';
import { StreamCache } from './stream-cache.js';
import { addCommand, highestVersionBefore, scanStream } from './stream-scan.js';
import { closingOnError, rethrowOptionMismatch, storeSettings, type EventStoreOptions } from './store-options.js';
import { versionCheck } from './version-check.js';

/** A log shared by processes that can refuse an append when a key's newest message is not the expected one. */
export interface ConditionalPublisher {
  publishExpecting(
    key: string,
    expectedLastOffset: number | null,
    messages: PublishMessage[],
  ): Promise<{ ok: true; nextOffset: number } | { ok: false; stored: number; actualLastOffset: number | null }>;
}

const READ_BATCH = 1000;

/**
 * An event store over a key-indexed log: a stream is a key, an event is a
 * message. Appends are checked and published under the stream's turn, all
 * events of one append in one publish, so they are stored together or not
 * at all (on JetStream before nats-server 2.12, see publish).
 */
export class LogEventStore<E extends Event = Event> implements EventStore<E> {
  private readonly registry: EventRegistry;
  private readonly index: StreamIndex;
  private readonly cache: StreamCache<E>;
  private readonly turns = new KeyedMutex();
  /** Appends to different streams ready at once share one publish (publish-group.ts); not on a shared log. */
  private readonly group: PublishGroup | undefined;
  private closing: Promise<void> | undefined;

  /** The store owns `log`: close() closes it. The log needs its key index. */
  constructor(
    readonly log: BlockingLog,
    options: EventStoreOptions = {},
  ) {
    const { registry, streams, cachedEvents } = storeSettings(options);
    this.registry = registry;
    this.index = new StreamIndex(log, streams);
    // One stream may hold a tenth of the cache (at least a read batch): long streams are read from memory too, without one crowding out the rest.
    this.cache = new StreamCache(cachedEvents, Math.max(READ_BATCH, Math.floor(cachedEvents / 10)));
    const shared = typeof (log as Partial<ConditionalPublisher>).publishExpecting === 'function';
    this.group = shared ? undefined : new PublishGroup(log);
  }

  // Not async: the turn's promise is returned as it is, one hop less on the hottest path.
  appendToStream(streamId: string, events: E | readonly E[], options: AppendOptions = {}): Promise<AppendResult<E>> {
    let expected: ExpectedVersion;
    let validated: ValidatedEvent[];
    let fingerprint: string | undefined;
    try {
      this.ensureOpen();
      checkStreamId(streamId);
      expected = checkExpectedVersion(options.expectedVersion ?? 'any');
      checkOptionalId('commandId', options.commandId);
      checkOptionalId('correlationId', options.correlationId);
      checkOptionalId('causationId', options.causationId);
      const list: readonly E[] = Array.isArray(events) ? events : [events as E];
      // Validation needs no turn: an invalid event fails before anyone waits.
      validated = list.map((event, i) => this.registry.validate(event, i, streamId));
      if (options.command !== undefined && options.commandId === undefined) {
        throw invalidArgument('command is what a commandId is bound to: give commandId too, or leave command out');
      }
      if (options.commandId !== undefined) fingerprint = commandFingerprint(options.command, validated);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.turns.run(streamId, () => this.appendAtHead(streamId, expected, validated, options, fingerprint));
  }

  /**
   * An append under the stream's turn, from the head as the index knows it.
   * On a shared log where another process appended first, it tries again:
   * the command id and version are checked again from the new head.
   */
  private async appendAtHead(
    streamId: string,
    expected: ExpectedVersion,
    validated: ValidatedEvent[],
    options: AppendOptions,
    fingerprint: string | undefined,
  ): Promise<AppendResult<E>> {
    const head = this.index.cachedHead(streamId) ?? (await this.index.head(streamId));
    if (options.commandId !== undefined) {
      const original = await this.replayCommand(streamId, options.commandId, fingerprint);
      if (original) return original;
    }
    assertExpectedVersion(streamId, expected, head.version);
    if (validated.length === 0)
      return { streamId, events: [], nextExpectedVersion: head.version, alreadyApplied: false };
    const encoded = encodeAppend(streamId, head.version, validated, options, fingerprint);
    const next = await this.publish(streamId, head, encoded.messages);
    if (next === undefined) return this.appendAtHead(streamId, expected, validated, options, fingerprint);
    const count = validated.length;
    const firstOffset = next - count;
    const version = head.version + count;
    const command: AppliedCommand = { firstOffset, count, version, fingerprint };
    this.index.appended(streamId, head.version, { version, lastOffset: next - 1 }, options.commandId, command);
    // What a read of these values will return (same data through JSON): appends and reads give equal events.
    const recorded = appendedEvents<E>(streamId, encoded, firstOffset, (envelope) =>
      this.registry.currentData(envelope),
    );
    this.cache.appended(streamId, head.version, recorded);
    return { streamId, events: recorded, nextExpectedVersion: version, alreadyApplied: false };
  }

  /**
   * One publish of an append (with the other streams' appends ready at
   * once, publish-group.ts); the log's next offset after it. On a log
   * shared by several processes (one that offers publishExpecting, like the
   * JetStream log) the server checks that the stream's newest message is
   * still the one this append was decided on, so two processes cannot both
   * append at the same version; the turn above only orders the writers of
   * this process. When another process got in first, nothing was stored and
   * the answer is undefined. A batch the log stored only part of (JetStream
   * before nats-server 2.12 has no atomic batch) cannot be tried again
   * without writing its first events twice: that is a PartialAppendError.
   */
  private publish(streamId: string, head: StreamHead, messages: PublishMessage[]): Promise<number | undefined> {
    // Not async: the group's promise is returned as it is (an async function would add two turns of the microtask queue).
    return this.group ? this.group.publish(messages) : this.publishExpecting(streamId, head, messages);
  }

  private async publishExpecting(streamId: string, head: StreamHead, messages: PublishMessage[]) {
    const shared = this.log as BlockingLog & ConditionalPublisher;
    const result = await shared.publishExpecting(streamId, head.version === 0 ? null : head.lastOffset, messages);
    if (result.ok) return result.nextOffset;
    this.index.forget(streamId);
    if (result.stored > 0) throw new PartialAppendError(streamId, result.stored, messages.length);
    return undefined;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult<E>> {
    this.ensureOpen();
    checkStreamId(streamId);
    const fromVersion = checkPositiveInteger('fromVersion', options.fromVersion ?? 1);
    const maxCount = options.maxCount === undefined ? Infinity : checkPositiveInteger('maxCount', options.maxCount);
    const fromPosition = checkPosition('fromPosition', options.fromPosition ?? OffsetOldest);
    // A head the index knows is one the log had reached: everything up to it is there to read.
    const head = this.index.cachedHead(streamId);
    const cached = this.cache.read(streamId, head, fromVersion, fromPosition);
    if (cached && cached.length <= maxCount) return { streamId, events: cached, version: head!.version };
    // A whole read of a stream the index does not know runs under the stream's turn: no append of this process lands
    // meanwhile, so the index learns the head from it and the append that follows needs no lookup (for a new stream, a not-found error).
    const whole = fromVersion === 1 && fromPosition === OffsetOldest && maxCount === Infinity;
    if (!head && whole && this.index.caches)
      return this.turns.run(streamId, () => this.readLog(streamId, options, true));
    return this.readLog(streamId, options, false, head);
  }

  /** readStream from the log; `learn`: a whole read under the stream's turn, whose end is the stream's head. */
  private async readLog(streamId: string, options: ReadStreamOptions, learn: boolean, head?: StreamHead) {
    const { fromVersion = 1, maxCount = Infinity, fromPosition = OffsetOldest } = options;
    let offset = fromPosition;
    let lastOffset = -1;
    const events: RecordedEvent<E>[] = [];
    let version = 0;
    const versions = versionCheck(streamId, options, fromVersion);
    // A whole read sees every command applied to the stream: a command id lookup after it needs no read of its own.
    const commands = learn ? new Map<string, AppliedCommand>() : undefined;
    // Past the known head, only a last, empty read would follow: skip it.
    while (!head || offset <= head.lastOffset) {
      const { messages, nextOffset } = await this.log.consumeByKey(streamId, offset, READ_BATCH);
      if (messages.length === 0) break;
      lastOffset = messages.at(-1)!.offset;
      for (const message of messages) {
        const envelope = parseEnvelope(message);
        version = envelope.meta.streamVersion;
        versions.see(version, envelope.position);
        if (commands) addCommand(commands, message.offset, envelope.meta);
        if (version < fromVersion) continue;
        if (events.length === maxCount) {
          if (versions.unsettled)
            versions.settleLeading(await highestVersionBefore(this.log, streamId, fromPosition, READ_BATCH));
          versions.throwIfGaps();
          return { streamId, events, version: await this.streamVersion(streamId) };
        }
        events.push(this.recorded(envelope));
      }
      offset = nextOffset;
    }
    if (versions.unsettled)
      versions.settleLeading(await highestVersionBefore(this.log, streamId, fromPosition, READ_BATCH));
    versions.throwIfGaps();
    // Nothing seen from fromPosition on says nothing about the events before it.
    if (version === 0 && offset !== OffsetOldest) version = await this.streamVersion(streamId);
    if (learn) this.index.learned(streamId, { version, lastOffset });
    if (commands) this.index.learnedCommands(streamId, commands);
    // Read to the head (as filled() checks), these events are a tail of the stream worth keeping.
    this.cache.filled(streamId, this.index.cachedHead(streamId), events);
    return { streamId, events, version };
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult<E>> {
    this.ensureOpen();
    const fromPosition = checkPosition('fromPosition', options.fromPosition ?? OffsetOldest);
    const maxCount = checkPositiveInteger('maxCount', options.maxCount ?? READ_BATCH);
    const { messages, nextOffset } = await this.log.consume(fromPosition, maxCount);
    return { events: messages.map((m) => this.decode(m)), nextPosition: nextOffset };
  }

  subscribeToAll(options: SubscribeOptions = {}): Observable<RecordedEvent<E>> {
    this.ensureOpen();
    return fromLog(this.log, { ...streamOptions(options) }).pipe(map((m) => this.decode(m)));
  }

  subscribeToStream(streamId: string, options: SubscribeToStreamOptions = {}): Observable<RecordedEvent<E>> {
    this.ensureOpen();
    checkStreamId(streamId);
    const fromVersion = checkPositiveInteger('fromVersion', options.fromVersion ?? 1);
    return defer(() => {
      const versions = versionCheck(streamId, options, fromVersion);
      return fromLog(this.log, { ...streamOptions(options), key: streamId }).pipe(
        map(parseEnvelope),
        concatMap(async (envelope) => {
          versions.see(envelope.meta.streamVersion, envelope.position);
          if (versions.unsettled)
            versions.settleLeading(
              await highestVersionBefore(this.log, streamId, options.fromPosition ?? OffsetOldest, READ_BATCH),
            );
          versions.throwIfGaps();
          return envelope;
        }),
        filter((envelope) => envelope.meta.streamVersion >= fromVersion),
        map((envelope) => this.recorded(envelope)),
      );
    });
  }

  async headPosition(): Promise<number> {
    this.ensureOpen();
    return this.log.nextOffset();
  }

  async streamVersion(streamId: string): Promise<number> {
    this.ensureOpen();
    checkStreamId(streamId);
    return this.turns.run(streamId, async () => (await this.index.head(streamId)).version);
  }

  async appliedCommand(
    streamId: string,
    commandId: string,
    options: AppliedCommandOptions = {},
  ): Promise<AppendResult<E> | undefined> {
    this.ensureOpen();
    checkStreamId(streamId);
    checkId('commandId', commandId);
    const fingerprint = options.command === undefined ? undefined : commandFingerprint(options.command, []);
    return this.turns.run(streamId, () => this.replayCommand(streamId, commandId, fingerprint));
  }

  close(): Promise<void> {
    // Appends already handed to the group are written before the log closes, as they were when each published at once.
    if (!this.closing) this.group?.flush();
    this.closing ??= this.log.close();
    return this.closing;
  }

  /** tsyringe calls it when a container holding the store is disposed. */
  dispose(): Promise<void> {
    return this.close();
  }

  /**
   * The original result of the command id's append. An id stored with a
   * fingerprint other than the retry's belongs to another command; one stored
   * without (written before fingerprints) cannot be compared and is trusted.
   */
  private async replayCommand(
    streamId: string,
    commandId: string,
    fingerprint: string | undefined,
  ): Promise<AppendResult<E> | undefined> {
    const learned =
      this.index.caches && !this.index.knowsCommands(streamId) ? await this.learnStream(streamId) : undefined;
    const applied = learned ? learned.get(commandId) : await this.index.applied(streamId, commandId);
    if (!applied) return undefined;
    if (fingerprint !== undefined && applied.fingerprint !== undefined && applied.fingerprint !== fingerprint) {
      throw new CommandIdReusedError(streamId, commandId, applied.version);
    }
    const { messages } = await this.log.consumeByKey(streamId, applied.firstOffset, applied.count);
    return {
      streamId,
      events: messages.map((m) => this.decode(m)),
      nextExpectedVersion: applied.version,
      alreadyApplied: true,
    };
  }

  /** A command id lookup's one read of a stream this process has not read (under its turn), kept in the cache if it fits. */
  private async learnStream(streamId: string): Promise<Map<string, AppliedCommand>> {
    const { head, commands, envelopes } = await scanStream(this.log, streamId, this.cache.keeps, READ_BATCH);
    this.index.learned(streamId, head);
    this.index.learnedCommands(streamId, commands);
    try {
      this.cache.filled(streamId, head, envelopes?.map((envelope) => this.recorded(envelope)) ?? []);
    } catch {
      // An event that does not decode fails the read that asks for it, not this lookup: nothing is cached.
    }
    return commands;
  }

  private decode(message: Message): RecordedEvent<E> {
    return this.recorded(parseEnvelope(message));
  }

  private recorded(envelope: StoredEnvelope): RecordedEvent<E> {
    return toRecorded<E>(envelope, this.registry.currentData(envelope));
  }

  private ensureOpen(): void {
    if (this.closing) throw new LogError('ERR_CLOSED', 'the event store is closed; open it again to go on using it');
  }
}

function streamOptions(options: SubscribeOptions) {
  return {
    offset: options.fromPosition ?? OffsetOldest,
    live: options.live,
    batchSize: options.batchSize,
    signal: options.signal,
  };
}

/** An event store in a log directory (created if missing). */
export async function openEventStore<const Types extends readonly AnyEventType[]>(
  dir: string,
  options: EventStoreOptions<Types> & { log?: Options } = {},
): Promise<LogEventStore<EventsOf<Types>>> {
  if (options.log?.keyIndex === false)
    throw invalidArgument('openEventStore: the event log needs its key index (log.keyIndex)');
  // A readonly log is written by someone else: what a cache remembers could be stale. Every writable open marks it.
  const opts = options.log?.readonly ? { cachedStreams: 0, ...options } : options;
  storeSettings(opts); // refused before the log's directory is made
  const logOptions = { createDirs: true, ...options.log, keyIndex: true };
  const log = await openBlocking(dir, logOptions).catch(rethrowOptionMismatch(dir));
  return closingOnError(log, async () => {
    const store = new LogEventStore<EventsOf<Types>>(log, opts);
    if (!options.log?.readonly) await markEventStoreLog(dir);
    return store;
  });
}

/** The same store over a log held in memory: identical semantics, for fast unit tests. */
export function inMemoryEventStore<const Types extends readonly AnyEventType[]>(
  options: EventStoreOptions<Types> = {},
): LogEventStore<EventsOf<Types>> {
  return new LogEventStore(new MemoryLog(), options);
}
