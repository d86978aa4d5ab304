// The event store's errors are KlevdbErrors with codes of their own: a caller
// catches them with the rest of klevdb's errors and switches on `code`.
import { expect } from 'chai';
import { z } from 'zod';
import { KLEVDB_ERROR_CODES } from '../../src/index.js';
import {
  CommandIdReusedError,
  ConcurrencyError,
  InvalidEventError,
  KlevdbError,
  PartialAppendError,
  StreamGapError,
  defineEvent,
  inMemoryEventStore,
  isKlevdbError,
} from '../../src/eventstore/index.js';
import type { EventStoreErrorCode, EventsOf } from '../../src/eventstore/index.js';
import { caught, expectModuleErrors } from '../helpers/errors.js';

const Deposited = defineEvent('Deposited', z.object({ amount: z.number().int().positive() }));
type AccountEvent = EventsOf<[typeof Deposited]>;

describe('eventstore: errors', () => {
  it('every event store error is a KlevdbError with its own code and name', () => {
    const errors: [KlevdbError, EventStoreErrorCode, string][] = [
      [new ConcurrencyError('s', 'no-stream', 3), 'ERR_CONCURRENCY', 'ConcurrencyError'],
      [new PartialAppendError('s', 1, 2), 'ERR_PARTIAL_APPEND', 'PartialAppendError'],
      [new CommandIdReusedError('s', 'c1', 4), 'ERR_COMMAND_ID_REUSED', 'CommandIdReusedError'],
      [new StreamGapError('s', [{ from: 2, to: 3 }], 7), 'ERR_STREAM_GAP', 'StreamGapError'],
      [new InvalidEventError('Deposited', 'data.amount', 'not a number'), 'ERR_INVALID_EVENT', 'InvalidEventError'],
    ];
    expectModuleErrors(errors, KLEVDB_ERROR_CODES.eventstore);
  });

  it('a misspelt store option is refused, naming it (evnts would turn validation off without a word)', async () => {
    const err = await caught(() => inMemoryEventStore({ evnts: [] } as never));
    expect(err).to.include({ code: 'ERR_INVALID_ARGUMENT' });
    expect((err as Error).message).to.equal(
      'options.evnts is not an option of the event store; the options are events, cachedStreams, cachedEvents, log',
    );
  });

  it('real failures of appendToStream, caught as klevdb errors and switched on by code', async () => {
    const store = inMemoryEventStore({ events: [Deposited] });
    try {
      await store.appendToStream('acc-1', [Deposited({ amount: 5 })], { commandId: 'deposit-1' });
      const attempts: (() => Promise<unknown>)[] = [
        () => store.appendToStream('acc-1', [Deposited({ amount: 1 })], { expectedVersion: 'no-stream' }),
        () => store.appendToStream('acc-1', [Deposited({ amount: 6 })], { commandId: 'deposit-1' }),
        () => store.appendToStream('acc-1', [{ type: 'Deposited', data: { amount: -1 } } as AccountEvent]),
        () => store.appendToStream('acc-1', [Deposited({ amount: 1 })], { expectedVersion: -1 }),
      ];
      const outcomes: string[] = [];
      for (const attempt of attempts) {
        const err = await caught(attempt);
        if (!isKlevdbError(err)) expect.fail(`not a klevdb error: ${String(err)}`);
        switch (err.code) {
          case 'ERR_CONCURRENCY':
            expect(err).to.be.instanceOf(ConcurrencyError).and.include({ streamId: 'acc-1', actual: 1 });
            outcomes.push('reload and decide again');
            break;
          case 'ERR_COMMAND_ID_REUSED':
            expect(err).to.be.instanceOf(CommandIdReusedError).and.include({ commandId: 'deposit-1' });
            outcomes.push('use a new command id');
            break;
          case 'ERR_INVALID_EVENT':
            expect(err).to.be.instanceOf(InvalidEventError).and.include({ path: 'data.amount' });
            outcomes.push('fix the event');
            break;
          case 'ERR_INVALID_ARGUMENT':
            expect(err.message).to.match(/expectedVersion/);
            outcomes.push('fix the argument');
            break;
          default:
            outcomes.push(`unexpected ${err.code}: ${err.message}`);
        }
      }
      expect(outcomes).to.deep.equal([
        'reload and decide again',
        'use a new command id',
        'fix the event',
        'fix the argument',
      ]);
      expect((await store.readStream('acc-1')).events).to.have.length(1);
    } finally {
      await store.close();
    }
  });
});
