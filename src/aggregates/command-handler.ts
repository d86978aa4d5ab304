/**
 * The imperative shell around a decider: load the stream, decide, append
 * with the version that was loaded. A concurrent writer makes the append
 * fail with a ConcurrencyError; the handler then reloads and decides again,
 * on the state that now includes the other writer's events. Each command
 * is traced and measured through OpenTelemetry when the application has it
 * (command-telemetry.ts).
 */
import {
  type AppendResult,
  ConcurrencyError,
  type Event,
  type EventStore,
  type RecordedEvent,
} from '../eventstore/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { aggregateStream, snapshotOf, type SnapshotOptions } from './aggregate-stream.js';
import { commandTelemetry, type CommandTelemetry } from './command-telemetry.js';
import { decideEvents, evolveAll, type Decider } from './decider.js';
import { StateCache, type FoldedState } from './state-cache.js';

export interface CommandHandlerOptions<State> {
  /** How many times to reload and decide again after a ConcurrencyError (default 3). */
  retries?: number;
  /** Told before each retry (for metrics or logs of contention): the conflict, and the retry's number from 1. */
  onRetry?: (error: ConcurrencyError, retry: number, streamId: string) => void;
  snapshots?: SnapshotOptions<State>;
  /** A snapshot that could not be saved does not fail the command (its events are stored); it is reported here. */
  onSnapshotError?: (error: unknown, streamId: string) => void;
  /**
   * How many streams' folded states stay in memory (default 10,000; 0:
   * none). A command on a cached stream reads only the events appended since
   * and evolves the cached state over them, so its cost does not depend on
   * the stream's length. The cached state is passed to decide and returned
   * in results: treat states as immutable, as evolve must.
   */
  cachedStates?: number;
}

export interface HandleOptions {
  /**
   * Makes a retry of the same command safe: if it was applied, its original
   * events are returned. The id is bound to the command (a fingerprint of its
   * canonical JSON): the same id with a different command is a
   * CommandIdReusedError. A rejected command (decide threw, nothing was
   * written) binds nothing: its retry is decided again, on the state then.
   */
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  /** The version the caller decided on (e.g. shown in a form): a mismatch is a ConcurrencyError, never retried. */
  expectedVersion?: number;
}

export interface CommandResult<State, E extends Event> {
  streamId: string;
  /** The events this command appended (or, already applied, the ones it appended the first time). */
  events: RecordedEvent<E>[];
  /** The state after the command. */
  state: State;
  nextExpectedVersion: number;
  alreadyApplied: boolean;
}

export type CommandHandler<State, Command, E extends Event> = (
  streamId: string,
  command: Command,
  options?: HandleOptions,
) => Promise<CommandResult<State, E>>;

export function commandHandler<State, Command, E extends StoreEvent, StoreEvent extends Event = E>(
  decider: Decider<State, Command, E>,
  store: EventStore<StoreEvent>,
  options: CommandHandlerOptions<State> = {},
): CommandHandler<State, Command, E> {
  checkShape(
    'decider',
    decider,
    ['initialState', 'evolve', 'decide'],
    'an object with initialState, evolve and decide',
  );
  checkShape(
    'store',
    store,
    ['readStream', 'appendToStream', 'appliedCommand'],
    'an event store (openEventStore, inMemoryEventStore)',
  );
  // The handler reads and appends only its decider's events (aggregate-stream.ts says what a wider store means).
  const ownStore = store as unknown as EventStore<E>;
  const retries = options.retries ?? 3;
  if (!Number.isSafeInteger(retries) || retries < 0)
    throw invalidArgument(`retries must be an integer >= 0, got ${String(retries)}`);
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function')
    throw invalidArgument(`onRetry must be a function, got ${typeof options.onRetry}`);
  const snapshots = options.snapshots;
  const every = snapshots?.every ?? 100;
  if (!Number.isSafeInteger(every) || every < 1)
    throw invalidArgument(`snapshots.every must be an integer >= 1, got ${String(every)}`);
  const cachedStates = options.cachedStates ?? 10_000;
  if (!Number.isSafeInteger(cachedStates) || cachedStates < 0)
    throw invalidArgument(`cachedStates must be an integer >= 0, got ${String(cachedStates)}`);
  const states = new StateCache<State>(cachedStates);
  // The caller caches what it loaded (or the state after its append: one cache update per command).
  const loadWhole = (streamId: string) => aggregateStream(ownStore, streamId, decider, { snapshots });
  const load = (streamId: string): Promise<FoldedState<State>> => {
    const cached = states.get(streamId);
    if (!cached) return loadWhole(streamId);
    // When the stream is not the one the entry was folded from (a log restored or replaced): load it whole.
    return foldOn(ownStore, streamId, decider, cached).then((folded) => folded ?? loadWhole(streamId));
  };

  const alreadyApplied = async (
    streamId: string,
    original: AppendResult<E>,
    telemetry: CommandTelemetry,
    attempt: number,
  ): Promise<CommandResult<State, E>> => {
    const loaded = await telemetry.step('load', attempt, () => load(streamId));
    states.set(streamId, loaded);
    return { ...original, state: loaded.state, alreadyApplied: true };
  };

  const handle = async (
    streamId: string,
    command: Command,
    handleOptions: HandleOptions,
    telemetry: CommandTelemetry,
  ): Promise<CommandResult<State, E>> => {
    const { commandId, correlationId, causationId, expectedVersion } = handleOptions;
    if (commandId !== undefined) {
      const original = await telemetry.step('lookup', 0, () =>
        ownStore.appliedCommand(streamId, commandId, { command }),
      );
      if (original) return alreadyApplied(streamId, original, telemetry, 0);
    }
    for (let attempt = 0; ; attempt++) {
      const loaded = await telemetry.step('load', attempt, () => load(streamId));
      let appended: AppendResult<E> | undefined;
      try {
        if (expectedVersion !== undefined && expectedVersion !== loaded.version) {
          throw new ConcurrencyError(streamId, expectedVersion, loaded.version);
        }
        const events = telemetry.step('decide', attempt, () => decideEvents(decider, command, loaded.state));
        try {
          appended = await telemetry.step('append', attempt, () =>
            ownStore.appendToStream(streamId, events, {
              expectedVersion: loaded.version,
              commandId,
              command: commandId === undefined ? undefined : command,
              correlationId,
              causationId,
            }),
          );
        } catch (err) {
          if (!(err instanceof ConcurrencyError && expectedVersion === undefined && attempt < retries)) throw err;
          telemetry.retry(err, attempt + 1);
          options.onRetry?.(err, attempt + 1, streamId);
        }
      } finally {
        // Rejected, failed or retried: what was loaded stays cached, for the retry or the next command on the stream.
        if (appended === undefined) states.set(streamId, loaded);
      }
      if (appended === undefined) continue;
      // Another attempt with the same command id got in first.
      if (appended.alreadyApplied) return alreadyApplied(streamId, appended, telemetry, attempt);
      const state = evolveAll(decider, loaded.state, appended.events);
      const last = appended.events.at(-1);
      if (!last) {
        states.set(streamId, loaded);
        return { ...appended, state };
      }
      const after = {
        state,
        version: appended.nextExpectedVersion,
        position: last.meta.position,
        snapshotVersion: loaded.snapshotVersion,
      };
      states.set(streamId, after);
      if (snapshots && appended.nextExpectedVersion - loaded.snapshotVersion >= every) {
        try {
          await telemetry.step('snapshot', attempt, () =>
            snapshots.store.save(
              streamId,
              snapshotOf(decider, snapshots, state, appended.nextExpectedVersion, last.meta.position),
            ),
          );
          states.set(streamId, { ...after, snapshotVersion: after.version });
        } catch (err) {
          options.onSnapshotError?.(err, streamId);
        }
      }
      return { ...appended, state };
    }
  };

  const traced = async (
    streamId: string,
    command: Command,
    handleOptions: HandleOptions,
    telemetry: CommandTelemetry,
  ): Promise<CommandResult<State, E>> => {
    try {
      const result = await handle(streamId, command, handleOptions, telemetry);
      telemetry.done(result);
      return result;
    } catch (err) {
      telemetry.failed(err);
      throw err;
    }
  };

  return (streamId, command, handleOptions = {}) => {
    let telemetry: CommandTelemetry;
    try {
      telemetry = commandTelemetry(streamId, command, handleOptions);
    } catch (err) {
      return Promise.reject(err); // a handler never throws, it rejects (as an async function would)
    }
    // Nothing recorded: the command runs without a frame of its own around it.
    return telemetry.active
      ? traced(streamId, command, handleOptions, telemetry)
      : handle(streamId, command, handleOptions, telemetry);
  };
}

/**
 * The cached state moved on over the events appended since it was folded,
 * or undefined when the stream no longer continues it (fewer events than it
 * includes, or not the next version after it).
 */
async function foldOn<State, E extends Event>(
  store: EventStore<E>,
  streamId: string,
  decider: Pick<Decider<State, never, E>, 'evolve'>,
  cached: FoldedState<State>,
): Promise<FoldedState<State> | undefined> {
  const { events, version } = await store.readStream(streamId, {
    fromVersion: cached.version + 1,
    fromPosition: cached.position + 1,
  });
  const first = events[0];
  if (first ? first.meta.streamVersion !== cached.version + 1 : version !== cached.version) return undefined;
  let { state, position } = cached;
  for (const event of events) {
    state = decider.evolve(state, event);
    position = event.meta.position;
  }
  return { state, version: cached.version + events.length, position, snapshotVersion: cached.snapshotVersion };
}

/** Fails at construction, not at the first command, when `value` lacks a function the handler calls. */
function checkShape(name: string, value: unknown, methods: readonly string[], what: string): void {
  const missing =
    value !== null && typeof value === 'object'
      ? methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
      : methods;
  if (missing.length > 0)
    throw invalidArgument(
      `commandHandler: ${name} must be ${what}, got ${value === null ? 'null' : typeof value} (missing ${missing.join(', ')})`,
    );
}
