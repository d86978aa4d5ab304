// With @opentelemetry/api installed but no SDK registered (the case of an
// application that has the API through another package), klevdb records
// nothing and behaves as without it. (Without the API at all: the packed
// package's test, test/packaging/install.spec.ts.)
import { metrics, trace } from '@opentelemetry/api';
import { expect } from 'chai';
import path from 'node:path';
import { commandHandler, type Decider } from '../../src/aggregates/index.js';
import { openBlocking } from '../../src/index.js';
import { inMemoryEventStore } from '../../src/eventstore/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { openSubscription } from '../../src/streams/index.js';
import {
  account,
  accountEvents,
  AccountOpened,
  Deposited,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
} from '../eventstore/fixtures/account.js';
import { messages, removeDir, tempDir } from '../streams/helpers.js';
import { TestSdk } from './sdk.js';

describe('telemetry: no SDK registered', () => {
  it('commands (a conflict retried, a rejection), a projection and a subscription run as usual and record nothing', async () => {
    const sdk = new TestSdk(); // made, never registered
    trace.disable();
    metrics.disable();
    const store = inMemoryEventStore({ events: accountEvents });
    await store.appendToStream('a', AccountOpened({ owner: 'ann' }));
    let raced = false;
    const racing: Decider<AccountState, AccountCommand, AccountEvent> = {
      ...account,
      decide(command, state) {
        if (!raced) {
          raced = true;
          void store.appendToStream('a', Deposited({ amount: 1, currency: 'EUR' }));
        }
        return account.decide(command, state);
      },
    };
    const handle = commandHandler(racing, store);
    const { nextExpectedVersion } = await handle('a', { type: 'Deposit', amount: 2 }, { correlationId: 'c' });
    expect(nextExpectedVersion).to.equal(3);
    const rejected = await handle('a', { type: 'Withdraw', amount: 100 }).catch((e: unknown) => e);
    expect(rejected).to.have.property('name', 'InsufficientFunds');

    const runner = new ProjectionRunner();
    const totals = runner.add({
      name: 'totals',
      source: store,
      handles: [Deposited],
      key: (e) => e.meta.streamId,
      initialState: () => ({ total: 0 }),
      apply: (s, e) => ({ total: s.total + (e.type === 'Deposited' ? e.data.amount : 0) }),
    });
    await runner.start();
    await totals.waitFor(2);
    expect(await totals.get('a')).to.deep.equal({ total: 3 });
    await runner.close();

    const dir = tempDir();
    try {
      const log = await openBlocking(path.join(dir, 'source'), { createDirs: true });
      await log.publish(messages(0, 5));
      const s = await openSubscription(log, { name: 'quiet', offsets: path.join(dir, 'offsets') });
      let seen = 0;
      await s.run(async (batch) => void (seen += batch.messages.length), { live: false });
      await s.close();
      await log.close();
      expect(seen).to.equal(5);
    } finally {
      removeDir(dir);
    }

    expect(sdk.spans()).to.deep.equal([]);
    expect([...(await sdk.collect()).keys()]).to.deep.equal([]);
    await sdk.uninstall();
  });
});
