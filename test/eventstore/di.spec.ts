// tsyringe wiring: an @injectable command handler resolved from an app
// container over log directories, and from test containers in memory.
import {
  createContainer,
  createTestContainer,
  eventStoreToken,
  inject,
  injectable,
  Tokens,
} from '../../src/di/index.js';
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { commandHandler, type CommandHandler, type SnapshotStore } from '../../src/aggregates/index.js';
import type { EventStore } from '../../src/eventstore/index.js';
import {
  account,
  accountEvents,
  AccountOpened,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
} from './fixtures/account.js';

@injectable()
class AccountService {
  private readonly handle: CommandHandler<AccountState, AccountCommand, AccountEvent>;

  constructor(
    @inject(Tokens.EventStore) readonly store: EventStore<AccountEvent>,
    @inject(Tokens.SnapshotStore) snapshots: SnapshotStore,
  ) {
    this.handle = commandHandler(account, store, { snapshots: { store: snapshots, every: 2 } });
  }

  open(id: string, owner: string) {
    return this.handle(`account-${id}`, { type: 'Open', owner }, { commandId: `open-${id}` });
  }

  deposit(id: string, amount: number, commandId: string) {
    return this.handle(`account-${id}`, { type: 'Deposit', amount }, { commandId });
  }
}

describe('klevdb/di', () => {
  it('resolves an @injectable handler from a test container, each test container with its own stores', async () => {
    const one = createTestContainer({ events: accountEvents });
    const two = createTestContainer({ events: accountEvents });
    try {
      const service = one.resolve(AccountService);
      await service.open('1', 'ann');
      const result = await service.deposit('1', 10, 'd1');
      expect(result.state).to.deep.include({ balance: 10 });
      expect(await one.resolve(Tokens.EventStore).streamVersion('account-1')).to.equal(2);
      expect(await one.resolve(Tokens.SnapshotStore).load('account-1')).to.include({ streamVersion: 2 });
      expect(await two.resolve(Tokens.EventStore).streamVersion('account-1')).to.equal(0);
    } finally {
      await Promise.all([one.dispose(), two.dispose()]);
    }
  });

  it('builds an app container over log directories, and dispose() closes them', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klevdb-di-'));
    try {
      const app = await createContainer({ dir, events: accountEvents });
      await app.resolve(AccountService).open('7', 'bob');
      await app.resolve(AccountService).deposit('7', 3, 'd1');
      expect(await app.resolve(Tokens.EventLog).nextOffset()).to.equal(2);
      await app.dispose();
      // The locks are released, and the events are there for the next process.
      const again = await createContainer({ dir, events: accountEvents });
      const retry = await again.resolve(AccountService).deposit('7', 3, 'd1');
      expect(retry.alreadyApplied).to.equal(true);
      expect(retry.state).to.deep.include({ balance: 3 });
      await again.dispose();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("resolves the store typed with the app's event union, by a typed token or Tokens.EventStore", async () => {
    const container = createTestContainer({ events: accountEvents });
    try {
      // Both compile under strict: the first is what a user writes by hand.
      const byHand = container.resolve<EventStore<AccountEvent>>(Tokens.EventStore);
      const typed = container.resolve(eventStoreToken<AccountEvent>());
      expect(typed).to.equal(byHand);
      const head = await typed.headPosition();
      await byHand.appendToStream('account-1', AccountOpened({ owner: 'ann' }));
      const [opened] = (await typed.readAll({ fromPosition: head })).events;
      // `opened` is typed AccountEvent: its data is the AccountOpened data when its type says so.
      expect(opened?.type === 'AccountOpened' ? opened.data.owner : undefined).to.equal('ann');
      expect(eventStoreToken<AccountEvent>()).to.equal(Tokens.EventStore);
    } finally {
      await container.dispose();
    }
  });
});
