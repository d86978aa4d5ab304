// Command ids are idempotency keys bound to what they were first used for:
// the same id with the same command is a retry (the original result), the
// same id with another command is an error naming the id, on every backend
// and after a restart. A rejected command binds nothing: its retry is decided again.
import { expect } from 'chai';
import { commandHandler } from '../../src/aggregates/index.js';
import { CommandIdReusedError, type EventEnvelope } from '../../src/eventstore/index.js';
import { expectLogError } from '../helpers/errors.js';
import { account, AccountOpened, Deposited, InsufficientFunds } from '../eventstore/fixtures/account.js';
import type { StoreFactory, StoreFixture } from './event-stores.js';

const deposited = (amount: number) => Deposited({ amount, currency: 'EUR' });

async function reused(
  call: () => Promise<unknown>,
  streamId: string,
  commandId: string,
): Promise<CommandIdReusedError> {
  const err = await call().then(
    () => expect.fail('expected ERR_COMMAND_ID_REUSED, but the call succeeded'),
    (e: unknown) => e,
  );
  expect(err)
    .to.be.instanceOf(CommandIdReusedError)
    .and.include({ code: 'ERR_COMMAND_ID_REUSED', streamId, commandId });
  expect((err as Error).message)
    .to.include(`command id "${commandId}"`)
    .and.include(`"${streamId}"`);
  return err as CommandIdReusedError;
}

export function eventStoreCommandIdsContract(factory: StoreFactory): void {
  describe(`command ids bound to their command (${factory.name})`, () => {
    let f: StoreFixture;
    beforeEach(async () => (f = await factory.create()));
    afterEach(() => f.cleanup());

    it('refuses an append that reuses a command id with other events, before and after a restart', async () => {
      await f.store.appendToStream('a', AccountOpened({ owner: 'x' }));
      const first = await f.store.appendToStream('a', deposited(1), { commandId: 'pay-1' });
      expect((await f.store.appendToStream('a', deposited(1), { commandId: 'pay-1' })).alreadyApplied).to.equal(true);
      await reused(() => f.store.appendToStream('a', deposited(100), { commandId: 'pay-1' }), 'a', 'pay-1');
      const store = await f.reopen();
      await reused(() => store.appendToStream('a', deposited(100), { commandId: 'pay-1' }), 'a', 'pay-1');
      const retry = await store.appendToStream('a', deposited(1), { commandId: 'pay-1' });
      expect(retry).to.deep.include({ alreadyApplied: true, events: first.events });
      expect(await store.streamVersion('a')).to.equal(2);
    });

    it('fingerprints the command when one is given: key order does not matter, a different payload does', async () => {
      const command = { type: 'Deposit', amount: 5, meta: { channel: 'atm', at: [1, 2] } };
      await f.store.appendToStream('a', AccountOpened({ owner: 'x' }));
      await f.store.appendToStream('a', deposited(5), { commandId: 'd1', command });
      // The same command written with its keys in another order, and other events (decided on a newer state): a retry.
      const same = { meta: { at: [1, 2], channel: 'atm' }, amount: 5, type: 'Deposit' };
      expect(
        (await f.store.appendToStream('a', deposited(6), { commandId: 'd1', command: same })).alreadyApplied,
      ).to.equal(true);
      expect(await f.store.appliedCommand('a', 'd1', { command: same })).to.include({ alreadyApplied: true });
      await reused(
        () => f.store.appendToStream('a', deposited(5), { commandId: 'd1', command: { ...command, amount: 50 } }),
        'a',
        'd1',
      );
      await reused(
        () => f.store.appliedCommand('a', 'd1', { command: { ...command, meta: { channel: 'web', at: [1, 2] } } }),
        'a',
        'd1',
      );
      // Without a command to compare, the lookup answers as before.
      expect(await f.store.appliedCommand('a', 'd1')).to.include({ alreadyApplied: true });
      expect(await f.store.streamVersion('a')).to.equal(2);
    });

    it('the command handler: a retry gets the original result, another command under the same id an error naming it', async () => {
      const handle = commandHandler(account, f.store);
      await handle('acc', { type: 'Open', owner: 'ann' }, { commandId: 'open' });
      const first = await handle('acc', { type: 'Deposit', amount: 5 }, { commandId: 'd1' });
      const retry = await handle('acc', { amount: 5, type: 'Deposit' }, { commandId: 'd1' });
      expect(retry).to.deep.include({ alreadyApplied: true, events: first.events });
      const err = await reused(() => handle('acc', { type: 'Deposit', amount: 500 }, { commandId: 'd1' }), 'acc', 'd1');
      expect(err.message).to.match(/different command/);
      await f.reopen();
      await reused(
        () => commandHandler(account, f.store)('acc', { type: 'Deposit', amount: 500 }, { commandId: 'd1' }),
        'acc',
        'd1',
      );
      expect((await f.store.readStream('acc')).events.map((e) => e.type)).to.deep.equal(['AccountOpened', 'Deposited']);
    });

    it('decides a retried rejected command again: a rejection writes nothing, so it binds nothing', async () => {
      const handle = commandHandler(account, f.store);
      await handle('acc', { type: 'Open', owner: 'ann' });
      const rejected = await handle('acc', { type: 'Withdraw', amount: 30 }, { commandId: 'w1' }).catch(
        (e: unknown) => e,
      );
      expect(rejected).to.be.instanceOf(InsufficientFunds);
      expect(await f.store.appliedCommand('acc', 'w1')).to.equal(undefined);
      await handle('acc', { type: 'Deposit', amount: 50 });
      const retried = await handle('acc', { type: 'Withdraw', amount: 30 }, { commandId: 'w1' });
      expect(retried).to.deep.include({ alreadyApplied: false, nextExpectedVersion: 3 });
      expect(retried.state).to.deep.include({ balance: 20 });
      // Applied now: bound from here on.
      await reused(() => handle('acc', { type: 'Withdraw', amount: 10 }, { commandId: 'w1' }), 'acc', 'w1');
    });

    it('returns the original result for a command id stored before fingerprints existed, whatever the retry carries', async () => {
      const legacy: EventEnvelope = {
        type: 'AccountOpened',
        schemaVersion: 1,
        data: { owner: 'old' },
        meta: { eventId: 'e-1', recordedAt: new Date(0).toISOString(), streamVersion: 1, commandId: 'open-old' },
      };
      await f.store.log.publish([{ key: 'old', value: JSON.stringify(legacy) }]);
      const store = await f.reopen();
      const retry = await store.appendToStream('old', AccountOpened({ owner: 'someone else' }), {
        commandId: 'open-old',
      });
      expect(retry.alreadyApplied).to.equal(true);
      expect(retry.events[0]!.data).to.deep.equal({ owner: 'old' });
    });

    it('rejects a command that is not JSON, or a command without a command id, with ERR_INVALID_ARGUMENT naming it', async () => {
      const cyclic: Record<string, unknown> = { type: 'Deposit' };
      cyclic.self = cyclic;
      for (const command of [cyclic, { type: 'Deposit', amount: 10n }, () => 'deposit']) {
        await expectLogError(
          () => f.store.appendToStream('a', deposited(1), { commandId: 'c', command }),
          'ERR_INVALID_ARGUMENT',
          /command/,
        );
      }
      await expectLogError(
        () => f.store.appendToStream('a', deposited(1), { command: { type: 'Deposit' } }),
        'ERR_INVALID_ARGUMENT',
        /commandId/,
      );
      await expectLogError(() => f.store.appliedCommand('a', 'c', { command: 10n }), 'ERR_INVALID_ARGUMENT', /command/);
      const handle = commandHandler(account, f.store);
      await expectLogError(
        () => handle('a', { type: 'Deposit', amount: 10n as never }, { commandId: 'c' }),
        'ERR_INVALID_ARGUMENT',
        /command/,
      );
      expect(await f.store.headPosition()).to.equal(0);
    });
  });
}
