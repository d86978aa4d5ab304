// Every failure of the event store and the projections carries a `code`, as LogErrors do: an error
// handler or a log line that only sees a plain error can still tell which one it was.
import { expect } from 'chai';
import { z } from 'zod';
import {
  ConcurrencyError,
  defineEvent,
  inMemoryEventStore,
  InvalidEventError,
  PartialAppendError,
} from '../../src/eventstore/index.js';
import { ProjectionFailedError, ProjectionNotReadyError, ProjectionRunner } from '../../src/projections/index.js';

const Added = defineEvent('Added', z.object({ n: z.number().int() }));

async function failure(f: () => Promise<unknown>): Promise<Error & { code?: unknown }> {
  try {
    await f();
  } catch (err) {
    return err as Error & { code?: unknown };
  }
  throw new Error('expected a failure');
}

describe('eventstore and projections: error codes', () => {
  it('a concurrency conflict is ERR_CONCURRENCY', async () => {
    const store = inMemoryEventStore({ events: [Added] });
    await store.appendToStream('s', Added({ n: 1 }));
    const err = await failure(() => store.appendToStream('s', Added({ n: 2 }), { expectedVersion: 'no-stream' }));
    expect(err).to.be.instanceOf(ConcurrencyError);
    expect(err.code).to.equal('ERR_CONCURRENCY');
    await store.close();
  });

  it('an event that does not match its schema is ERR_INVALID_EVENT, naming the field', async () => {
    const store = inMemoryEventStore({ events: [Added] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const err = await failure(() => store.appendToStream('s', Added({ n: 'one' } as any)));
    expect(err).to.be.instanceOf(InvalidEventError);
    expect(err.code).to.equal('ERR_INVALID_EVENT');
    // The type, the field zod names, zod's reason, and what to do.
    expect(err.message).to.match(
      /^invalid event #0 of the append to "s" \(type "Added", field data\.n\): .*expected number.*; fix the event's data\.n to match the "Added" schema$/,
    );
    // An untyped caller's event of a type the store was not given.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const unknown = await failure(() => store.appendToStream('s', { type: 'Removed', data: {} } as any));
    expect(unknown.message).to.match(
      /\(type "Removed", field type\): unknown event type; the store knows "Added"; declare "Removed" with defineEvent and list it in the store's events option$/,
    );
    await store.close();
  });

  it('a projection that has not reached a position in time is ERR_PROJECTION_NOT_READY', async () => {
    const store = inMemoryEventStore({ events: [Added] });
    const runner = new ProjectionRunner();
    const sums = runner.add({
      name: 'sums',
      source: store,
      handles: [Added],
      key: (e) => e.meta.streamId,
      initialState: () => 0,
      apply: (s, e) => s + e.data.n,
    });
    await runner.start();
    const err = await failure(() => sums.get('s', { upTo: 1000, timeoutMs: 50 }));
    expect(err).to.be.instanceOf(ProjectionNotReadyError);
    expect(err.code).to.equal('ERR_PROJECTION_NOT_READY');
    await runner.close();
    await store.close();
  });

  it('a call on a closed store is ERR_CLOSED and says to open it again', async () => {
    const store = inMemoryEventStore({ events: [Added] });
    await store.close();
    const err = await failure(() => store.appendToStream('s', Added({ n: 1 })));
    expect(err.code).to.equal('ERR_CLOSED');
    expect(err.message).to.match(/closed; open it again/);
  });

  it('the failures that need a shared cluster or a poison event have their codes too', () => {
    expect(new PartialAppendError('s', 1, 2).code).to.equal('ERR_PARTIAL_APPEND');
    expect(new ProjectionFailedError('p', 3, 'Added', new Error('boom')).code).to.equal('ERR_PROJECTION_FAILED');
  });
});
