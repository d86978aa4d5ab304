/** The event store contract; `LogEventStore` implements it over a log on disk or in memory. */
import type { Observable } from 'rxjs';
import type { Event } from './event-type.js';
import type { RecordedEvent } from './envelope.js';
import type { ExpectedVersion } from './expected-version.js';

export interface AppendOptions {
  /** Default 'any'. A number is the version the caller last saw (the number of events then in the stream). */
  expectedVersion?: ExpectedVersion;
  /**
   * Makes retries safe: an append with a command id the stream already holds
   * returns the original result. The id is bound to the command it was first
   * used for (a fingerprint of `command`, or of the events when no command is
   * given): the same id with another command is a CommandIdReusedError.
   */
  commandId?: string;
  /** The command these events answer (JSON), fingerprinted with commandId; only with commandId. */
  command?: unknown;
  correlationId?: string;
  causationId?: string;
}

export interface AppliedCommandOptions {
  /** The command about to be retried: compared with the one the id was first applied for. */
  command?: unknown;
}

export interface AppendResult<E extends Event = Event> {
  streamId: string;
  /** As stored. For an already applied command, the events its first append wrote. */
  events: RecordedEvent<E>[];
  /** The stream's version after the append: pass it as expectedVersion next time. */
  nextExpectedVersion: number;
  /** True when the command id had been applied before and nothing was written now. */
  alreadyApplied: boolean;
}

export interface ReadStreamOptions {
  /** The first stream version to return (default 1). */
  fromVersion?: number;
  /** Log offset to start looking at: events before it are skipped without being read. */
  fromPosition?: number;
  /** Most events to return (default: all). */
  maxCount?: number;
}

export interface ReadStreamResult<E extends Event = Event> {
  streamId: string;
  events: RecordedEvent<E>[];
  /** The stream's version: the newest event's, or 0 when the stream has none. */
  version: number;
}

export interface ReadAllOptions {
  /** Log offset to start at (default: the oldest event). */
  fromPosition?: number;
  /** Most events to return (default 1000). */
  maxCount?: number;
}

export interface ReadAllResult<E extends Event = Event> {
  events: RecordedEvent<E>[];
  /** Pass it as fromPosition to read on without gap or duplicate. */
  nextPosition: number;
}

export interface SubscribeOptions {
  /** Log offset to start at (default: the oldest event); a recorded event's `meta.position + 1` resumes after it. */
  fromPosition?: number;
  /** false: complete once caught up. Default true: follow new events as they are appended. */
  live?: boolean;
  /** Events read per batch (default 1000). */
  batchSize?: number;
  /** Aborting it ends the subscription with an error (LogError ERR_ABORTED). */
  signal?: AbortSignal;
}

export interface SubscribeToStreamOptions extends SubscribeOptions {
  /** The first stream version to emit (default 1). */
  fromVersion?: number;
}

export interface EventStore<E extends Event = Event> {
  appendToStream(streamId: string, events: E | readonly E[], options?: AppendOptions): Promise<AppendResult<E>>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<ReadStreamResult<E>>;
  /** The whole log, `$all` style, from a global position. */
  readAll(options?: ReadAllOptions): Promise<ReadAllResult<E>>;
  subscribeToStream(streamId: string, options?: SubscribeToStreamOptions): Observable<RecordedEvent<E>>;
  subscribeToAll(options?: SubscribeOptions): Observable<RecordedEvent<E>>;
  /**
   * The position the next appended event will get (the log's next offset).
   * `subscribeToAll({ fromPosition: await store.headPosition() })` sees only
   * events appended from now on, none missed: anything appended after this
   * call has a position at or past it.
   */
  headPosition(): Promise<number>;
  /** The number of events in the stream (0: no stream). */
  streamVersion(streamId: string): Promise<number>;
  /**
   * The original result of an append made with this command id, if there was
   * one. With `command`, a CommandIdReusedError when the id was applied for a
   * different command.
   */
  appliedCommand(
    streamId: string,
    commandId: string,
    options?: AppliedCommandOptions,
  ): Promise<AppendResult<E> | undefined>;
  close(): Promise<void>;
}
