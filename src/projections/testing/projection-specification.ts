/**
 * given events / then states, for projections, over the in-memory event
 * store and in-memory state logs: the same runner code as in production,
 * nothing on disk.
 *
 *   const given = ProjectionSpecification.for(balances, { events: [Opened, Deposited] });
 *   await given([['acc-1', Opened({ owner: 'ann' })], ['acc-1', Deposited({ amount: 5 })]])
 *     .then({ 'acc-1': { owner: 'ann', balance: 5 } });
 */
import assert from 'node:assert/strict';
import { matchesError, type ExpectedError } from '../../aggregates/testing/expectations.js';
import {
  type AnyEventType,
  type Event,
  type EventStore,
  inMemoryEventStore,
  type RecordedEvent,
} from '../../eventstore/index.js';
import type { ProjectionDefinition } from '../definition.js';
import type { ProjectionOptions } from '../options.js';
import { ProjectionRunner } from '../runner.js';

export interface ProjectionSpecificationOptions {
  /** The store's event types (validated on append, upcast on read, as in production). */
  events?: readonly AnyEventType[];
  /** Options of the projection under test (e.g. onError). */
  projection?: ProjectionOptions;
}

/** Appends, in order: each is a stream id and one event or several. */
export type GivenEvents<E extends Event> = ReadonlyArray<readonly [streamId: string, events: E | readonly E[]]>;

export interface ProjectionThen<S> {
  /** Exactly these keys have a state, and these are their states. */
  then(expected: Readonly<Record<string, S>>): Promise<void>;
  /** The state of one key (undefined: it has none). */
  thenState(key: string, expected: S | undefined): Promise<void>;
  /** The projection fails: with an error of this class, matching this pattern, or passing this check. */
  thenFails(expected?: ExpectedError): Promise<void>;
}

type DefinitionFor<S, E extends Event> =
  ProjectionDefinition<S, RecordedEvent<E>> | ((store: EventStore<E>) => ProjectionDefinition<S, RecordedEvent<E>>);

/** The definition reading from `store`, whatever source it names (its prototype is kept, for class instances). */
function over<S, E extends Event>(
  definition: DefinitionFor<S, E>,
  store: EventStore<E>,
): ProjectionDefinition<S, RecordedEvent<E>> {
  if (typeof definition === 'function') return definition(store);
  return Object.create(definition, { source: { value: store } }) as ProjectionDefinition<S, RecordedEvent<E>>;
}

export const ProjectionSpecification = {
  for<S, E extends Event>(definition: DefinitionFor<S, E>, options: ProjectionSpecificationOptions = {}) {
    return (given: GivenEvents<E> = []): ProjectionThen<S> => {
      /** Runs the projection over the given events until it has caught up (or failed), then hands it to `check`. */
      const run = async (
        check: (outcome: { error?: Error; states?: Map<string, S> }) => void | Promise<void>,
      ): Promise<void> => {
        const store = inMemoryEventStore({ events: options.events }) as unknown as EventStore<E>;
        const runner = new ProjectionRunner();
        try {
          for (const [streamId, events] of given) await store.appendToStream(streamId, events);
          const projection = runner.add(over(definition, store), options.projection);
          await projection.start();
          try {
            await projection.whenRunning();
          } catch {
            return await check({ error: (await projection.status()).error });
          }
          await check({ states: (await projection.snapshot()).states });
        } finally {
          await runner.close();
          await store.close();
        }
      };
      return {
        then: (expected) =>
          run(({ error, states }) => {
            if (error) throw error;
            assert.deepStrictEqual(Object.fromEntries(states!), { ...expected });
          }),
        thenState: (key, expected) =>
          run(({ error, states }) => {
            if (error) throw error;
            assert.deepStrictEqual(states!.get(key), expected);
          }),
        thenFails: (expected) =>
          run(({ error, states }) => {
            if (!error) assert.fail(`expected the projection to fail, but it caught up with ${states!.size} keys`);
            matchesError(error, expected);
          }),
      };
    };
  },
};
