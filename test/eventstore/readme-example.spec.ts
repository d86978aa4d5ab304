// The README's example, verbatim but for the directory: if it stops compiling
// or working, this fails.
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { commandHandler, type Decider } from '../../src/aggregates/index.js';
import { defineEvent, openEventStore, type EventsOf } from '../../src/eventstore/index.js';

describe('README example', () => {
  it('opens an account and deposits', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klevdb-readme-'));
    try {
      // --- from the README ---
      type Account = { owner?: string; balance: number };
      type Command = { type: 'Open'; owner: string } | { type: 'Deposit'; amount: number };
      const Opened = defineEvent('Opened', z.object({ owner: z.string() }));
      const Deposited = defineEvent('Deposited', z.object({ amount: z.number().positive() }));
      const account: Decider<Account, Command, EventsOf<[typeof Opened, typeof Deposited]>> = {
        initialState: () => ({ balance: 0 }),
        evolve: (s, e) => (e.type === 'Opened' ? { ...s, owner: e.data.owner } : { ...s, balance: s.balance + e.data.amount }),
        decide: (c, s) => {
          if (c.type === 'Open') return Opened({ owner: c.owner });
          if (!s.owner) throw new Error('open the account first');
          return Deposited({ amount: c.amount });
        },
      };

      const store = await openEventStore(path.join(dir, 'bank'), { events: [Opened, Deposited] });
      const handle = commandHandler(account, store, { retries: 3 });
      await handle('account-42', { type: 'Open', owner: 'Ann' }, { commandId: 'req-1' });
      const { state } = await handle('account-42', { type: 'Deposit', amount: 10 }, { commandId: 'req-2' });
      // --- end ---
      expect(state).to.deep.equal({ owner: 'Ann', balance: 10 });
      await store.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
