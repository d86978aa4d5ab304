// The read half of the event store contract: streams, $all, live
// subscriptions, upcasting, and stored events that fail validation.
import { expect } from 'chai';
import { firstValueFrom, take, toArray } from 'rxjs';
import { InvalidEventError, type EventEnvelope } from '../../src/eventstore/index.js';
import { AccountOpened, Deposited, Withdrawn } from '../eventstore/fixtures/account.js';
import type { StoreFactory, StoreFixture } from './event-stores.js';

const envelope = (type: string, schemaVersion: number, data: unknown, streamVersion: number): EventEnvelope => ({
  type,
  schemaVersion,
  data,
  meta: { eventId: `e-${streamVersion}`, recordedAt: new Date(0).toISOString(), streamVersion },
});

export function eventStoreReadContract(factory: StoreFactory): void {
  describe(`reading and subscribing (${factory.name})`, () => {
    let f: StoreFixture;
    beforeEach(async () => (f = await factory.create()));
    afterEach(() => f.cleanup());

    const fill = async () => {
      await f.store.appendToStream('a', [AccountOpened({ owner: 'a' }), Deposited({ amount: 1, currency: 'EUR' })]);
      await f.store.appendToStream('b', AccountOpened({ owner: 'b' }));
      await f.store.appendToStream('a', [Deposited({ amount: 2, currency: 'EUR' }), Withdrawn({ amount: 1 })]);
    };

    it('reads a stream forward from a version, a position, and up to a count', async () => {
      await fill();
      const all = await f.store.readStream('a');
      expect(all.events.map((e) => e.meta.streamVersion)).to.deep.equal([1, 2, 3, 4]);
      expect((await f.store.readStream('a', { fromVersion: 3 })).events.map((e) => e.type)).to.deep.equal([
        'Deposited',
        'Withdrawn',
      ]);
      const limited = await f.store.readStream('a', { maxCount: 2 });
      expect(limited.events).to.have.length(2);
      expect(limited.version).to.equal(4);
      const after = await f.store.readStream('a', { fromPosition: all.events[1]!.meta.position + 1 });
      expect(after.events.map((e) => e.meta.streamVersion)).to.deep.equal([3, 4]);
      expect((await f.store.readStream('a', { fromPosition: all.events[3]!.meta.position + 1 })).version).to.equal(4);
      expect(await f.store.readStream('none')).to.deep.equal({ streamId: 'none', events: [], version: 0 });
    });

    it('gives out frozen events, appended or read: a mutation throws instead of changing what the next load sees', async () => {
      const appended = (await f.store.appendToStream('a', Deposited({ amount: 1, currency: 'EUR' }))).events[0]!;
      const read = (await f.store.readStream('a')).events[0]!;
      const fromLog = (await f.store.readAll()).events[0]!;
      for (const event of [appended, read, fromLog]) {
        const data = event.data as { amount: number };
        expect(() => ((event as { type: string }).type = 'Withdrawn')).to.throw(TypeError);
        expect(() => (data.amount = 2)).to.throw(TypeError);
        expect(() => ((event.meta as { streamVersion: number }).streamVersion = 2)).to.throw(TypeError);
        expect(Object.isFrozen(event.meta.recordedAt)).to.equal(true);
      }
      expect((await f.store.readStream('a')).events[0]!.data).to.deep.equal({ amount: 1, currency: 'EUR' });
    });

    it('reads the whole log from a global position, $all style', async () => {
      await fill();
      const first = await f.store.readAll({ maxCount: 3 });
      expect(first.events.map((e) => `${e.meta.streamId}@${e.meta.streamVersion}`)).to.deep.equal([
        'a@1',
        'a@2',
        'b@1',
      ]);
      const rest = await f.store.readAll({ fromPosition: first.nextPosition });
      expect(rest.events.map((e) => `${e.meta.streamId}@${e.meta.streamVersion}`)).to.deep.equal(['a@3', 'a@4']);
      expect((await f.store.readAll({ fromPosition: rest.nextPosition })).events).to.deep.equal([]);
    });

    it('subscribes to $all and to a stream, catching up then following live appends', async () => {
      await fill();
      const all = firstValueFrom(f.store.subscribeToAll().pipe(take(6), toArray()));
      const stream = firstValueFrom(f.store.subscribeToStream('a', { fromVersion: 2 }).pipe(take(4), toArray()));
      await f.store.appendToStream('a', Deposited({ amount: 9, currency: 'EUR' }));
      expect((await all).map((e) => `${e.meta.streamId}@${e.meta.streamVersion}`)).to.deep.equal([
        'a@1',
        'a@2',
        'b@1',
        'a@3',
        'a@4',
        'a@5',
      ]);
      expect((await stream).map((e) => e.meta.streamVersion)).to.deep.equal([2, 3, 4, 5]);
      const tail = await firstValueFrom(f.store.subscribeToAll({ fromPosition: 4, live: false }).pipe(toArray()));
      expect(tail.map((e) => e.meta.position)).to.deep.equal([4, 5]);
    });

    it('upcasts old schema versions wherever events are read', async () => {
      await f.store.log.publish([
        { key: 'old', value: JSON.stringify(envelope('AccountOpened', 1, { owner: 'o' }, 1)) },
        { key: 'old', value: JSON.stringify(envelope('Deposited', 1, { amount: 7 }, 2)) },
      ]);
      const expected = { amount: 7, currency: 'EUR' };
      expect((await f.store.readStream('old')).events[1]!.data).to.deep.equal(expected);
      expect((await f.store.readAll()).events[1]!.data).to.deep.equal(expected);
      const live = await firstValueFrom(f.store.subscribeToStream('old', { live: false }).pipe(toArray()));
      expect(live[1]!.data).to.deep.equal(expected);
      // Appends write the current version, which needs no upcasting.
      const appended = await f.store.appendToStream('old', Deposited({ amount: 1, currency: 'USD' }), {
        expectedVersion: 2,
      });
      expect((await f.store.readStream('old', { fromVersion: 3 })).events).to.deep.equal(appended.events);
    });

    it('fails reading an invalid stored event with an error naming offset, type and path', async () => {
      await f.store.appendToStream('s', AccountOpened({ owner: 'x' }));
      await f.store.log.publish([
        { key: 's', value: JSON.stringify(envelope('Deposited', 2, { amount: 'ten', currency: 'EUR' }, 2)) },
      ]);
      // Written behind the store's back (it must be its log's only writer): a restart sees it.
      await f.reopen();
      const err = await f.store.readStream('s').catch((e: unknown) => e);
      expect(err)
        .to.be.instanceOf(InvalidEventError)
        .and.include({ offset: 1, eventType: 'Deposited', path: 'data.amount' });
      // Type, field, zod's reason, and what to do.
      expect((err as Error).message).to.match(
        /offset 1 \(type "Deposited", field data\.amount\): .*expected number.*; declare a new schema version with an upcaster/,
      );
      const viaAll = await firstValueFrom(f.store.subscribeToAll({ live: false }).pipe(toArray())).catch(
        (e: unknown) => e,
      );
      expect(viaAll).to.be.instanceOf(InvalidEventError).and.include({ offset: 1 });
    });

    it('names what is wrong with an envelope it cannot use', async () => {
      const cases: Array<[string | null, string, RegExp, RegExp]> = [
        ['not json', '', /not JSON/, /keep other writers off it/],
        [
          JSON.stringify({ ...envelope('Deposited', 3, { amount: 1, currency: 'EUR' }, 1) }),
          'schemaVersion',
          /newer than this code/,
          /upgrade this reader/,
        ],
        [
          JSON.stringify(envelope('Closed', 1, {}, 1)),
          'type',
          /unknown event type/,
          /declare "Closed" with defineEvent and list it in the store's events option/,
        ],
        [
          JSON.stringify({
            type: 'Withdrawn',
            schemaVersion: 1,
            data: { amount: 1 },
            meta: { eventId: 'x', recordedAt: 'now' },
          }),
          'meta.streamVersion',
          /integer/,
          /keep other writers off it/,
        ],
        [null, '', /tombstone/, /keep other writers off it/],
      ];
      for (const [i, [value, path, reason, todo]] of cases.entries()) {
        await f.store.log.publish([{ key: `bad-${i}`, value }]);
        const err = await f.store.readStream(`bad-${i}`).catch((e: unknown) => e);
        expect(err, `case ${i}`).to.be.instanceOf(InvalidEventError).and.include({ path });
        expect((err as Error).message, `case ${i}`)
          .to.match(reason)
          .and.to.match(todo);
      }
    });
  });
}
