/**
 * given / when / then for a whole command handler, over a real event store
 * in a temporary directory (removed afterwards): it exercises what the
 * decider spec cannot, such as the event schemas, serialization, snapshots
 * and idempotency.
 *
 *   const given = CommandHandlerSpecification.for(account, { events: [Opened, Deposited] });
 *   await given([opened]).when(deposit(10)).then([deposited(10)]);
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AnyEventType, type Event, type EventStore, openEventStore } from '../../eventstore/index.js';
import {
  commandHandler,
  type CommandHandlerOptions,
  type CommandResult,
  type HandleOptions,
} from '../command-handler.js';
import type { Decider } from '../decider.js';
import { openSnapshotStore, type SnapshotStore } from '../snapshot-store.js';
import { checkExpectedEvents, matchesError, type ExpectedError } from './expectations.js';

export interface TemporaryStores<E extends Event> {
  store: EventStore<E>;
  snapshots: SnapshotStore;
  dir: string;
}

/** Runs `work` with an event store and a snapshot store in a fresh temporary directory, then removes it. */
export async function withTemporaryEventStore<E extends Event, T>(
  events: readonly AnyEventType[] | undefined,
  work: (stores: TemporaryStores<E>) => Promise<T>,
): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klevdb-spec-'));
  try {
    const store = (await openEventStore(path.join(dir, 'events'), { events })) as unknown as EventStore<E>;
    try {
      const snapshots = await openSnapshotStore(path.join(dir, 'snapshots'));
      try {
        return await work({ store, snapshots, dir });
      } finally {
        await snapshots.close();
      }
    } finally {
      await store.close();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export interface CommandHandlerSpecificationOptions<State> {
  /** The event types of the store (validated on append and read, as in production). */
  events?: readonly AnyEventType[];
  /** The stream the given events go to and the command runs on (default "test-stream"). */
  streamId?: string;
  /** Handler options; `snapshots: { every }` without a store gets the temporary snapshot store. */
  handler?: Omit<CommandHandlerOptions<State>, 'snapshots'> & {
    snapshots?: Omit<NonNullable<CommandHandlerOptions<State>['snapshots']>, 'store'>;
  };
}

export interface HandlerThen<State, E extends Event> {
  then(expected: E | readonly E[]): Promise<void>;
  thenNothingHappened(): Promise<void>;
  thenThrows(expected?: ExpectedError): Promise<void>;
  thenState(expected: State): Promise<void>;
}

export interface HandlerWhen<State, Command, E extends Event> {
  when(command: Command, options?: HandleOptions): HandlerThen<State, E>;
}

export type HandlerGiven<State, Command, E extends Event> = (
  events?: E | readonly E[],
) => HandlerWhen<State, Command, E>;

export const CommandHandlerSpecification = {
  for<State, Command, E extends Event>(
    decider: Decider<State, Command, E>,
    options: CommandHandlerSpecificationOptions<State> = {},
  ): HandlerGiven<State, Command, E> {
    const streamId = options.streamId ?? 'test-stream';
    return (given = []) => ({
      when(command, handleOptions) {
        type Outcome = { failed: false; result: CommandResult<State, E> } | { failed: true; error: unknown };
        // Only the command's own failure is an outcome; a failing setup fails the spec whatever it expects.
        const run = (): Promise<Outcome> =>
          withTemporaryEventStore<E, Outcome>(options.events, async ({ store, snapshots }) => {
            const givenEvents = Array.isArray(given) ? (given as readonly E[]) : [given as E];
            if (givenEvents.length > 0)
              await store.appendToStream(streamId, givenEvents, { expectedVersion: 'no-stream' });
            const { snapshots: snapshotOptions, ...handlerOptions } = options.handler ?? {};
            const handle = commandHandler(decider, store, {
              ...handlerOptions,
              snapshots: snapshotOptions && { ...snapshotOptions, store: snapshots },
            });
            return handle(streamId, command, handleOptions).then(
              (result): Outcome => ({ failed: false, result }),
              (error: unknown): Outcome => ({ failed: true, error }),
            );
          });
        const succeeded = async (): Promise<CommandResult<State, E>> => {
          const outcome = await run();
          if (outcome.failed) throw outcome.error;
          return outcome.result;
        };
        const plain = (events: readonly Event[]): Event[] => events.map(({ type, data }) => ({ type, data }));
        return {
          // Not async: the misuse check must throw synchronously to reject an `await`.
          then(expected) {
            const events = checkExpectedEvents(expected);
            return succeeded().then((result) => {
              assert.deepStrictEqual(plain(result.events), plain(Array.isArray(events) ? events : [events as E]));
            });
          },
          async thenNothingHappened() {
            assert.deepStrictEqual(
              plain((await succeeded()).events),
              [],
              'expected the command to be accepted with no events',
            );
          },
          async thenThrows(expected) {
            const outcome = await run();
            if (!outcome.failed)
              assert.fail(
                `expected the command to fail, but it appended ${JSON.stringify(plain(outcome.result.events))}`,
              );
            matchesError(outcome.error, expected);
          },
          async thenState(expected) {
            assert.deepStrictEqual((await succeeded()).state, expected);
          },
        };
      },
    });
  },
};
