// The CLI's destructive commands on an event store's log: compact, trim and
// delete refuse it, naming the store and the history they would destroy,
// unless --force; after a forced compaction the store refuses to fold the
// streams it cut short, naming the missing versions, and decides nothing.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { commandHandler, type Decider } from '../../src/aggregates/index.js';
import { defineEvent, openEventStore, StreamGapError, type EventsOf } from '../../src/eventstore/index.js';
import { Workspace, expectError, klevdb, ok, okJson } from './helpers.js';

const Received = defineEvent('Received', z.object({ quantity: z.number().int().positive() }));
const Shipped = defineEvent('Shipped', z.object({ quantity: z.number().int().positive() }));
const events = [Received, Shipped] as const;
type StockCommand = { type: 'Receive' | 'Ship'; quantity: number };

const stock: Decider<{ onHand: number }, StockCommand, EventsOf<typeof events>> = {
  initialState: () => ({ onHand: 0 }),
  evolve: (s, e) => ({ onHand: s.onHand + (e.type === 'Received' ? e.data.quantity : -e.data.quantity) }),
  decide: (c, s) => {
    if (c.type === 'Ship' && c.quantity > s.onHand) throw new Error(`only ${s.onHand} on hand`);
    return c.type === 'Receive' ? Received({ quantity: c.quantity }) : Shipped({ quantity: c.quantity });
  },
};

/** Four products, five events each (offsets 0..19, product-p1 first): 20 received, 5 shipped per round. */
async function inventory(dir: string): Promise<void> {
  const store = await openEventStore(dir, { events });
  const handle = commandHandler(stock, store);
  for (let round = 0; round < 5; round++) {
    for (let p = 1; p <= 4; p++)
      await handle(
        `product-p${p}`,
        round % 2 === 0 ? { type: 'Receive', quantity: 20 } : { type: 'Ship', quantity: 5 },
      );
  }
  await store.close();
}

const messages = async (dir: string): Promise<number> => (await okJson<{ messages: number }>(['stat', dir])).messages;

describe("klevdb CLI on an event store's log", function () {
  const ws = new Workspace();
  after(() => ws.remove());

  it('the store marks the log it creates, beside the segments', async () => {
    const dir = ws.fresh('marked');
    await inventory(dir);
    const marker = JSON.parse(fs.readFileSync(path.join(dir, 'klevdb-eventstore.json'), 'utf8')) as { kind: string };
    expect(marker.kind).to.equal('klevdb event store');
    expect(await messages(dir)).to.equal(20);
  });

  it('compact refuses, naming the store and the events it would destroy; --force compacts', async () => {
    const dir = ws.fresh('compact');
    await inventory(dir);
    const refused = await klevdb(['compact', dir]);
    expectError(refused, 1, /refusing to compact .*compact-\d+: it is an event store's log/);
    expect(refused.stderr).to.match(
      /would delete 16 of its 20 events, from 4 streams \("product-p1" versions 1\.\.4, "product-p2" versions 1\.\.4, .*\)/,
    );
    expect(refused.stderr).to.match(/--force/);
    expect(await messages(dir)).to.equal(20);
    expect(await ok(['compact', dir, '--force'])).to.match(/20 -> 4 messages/);

    // What the user then ran into: a stream of one event at version 5, folded to a wrong state. Now a clear refusal.
    const store = await openEventStore(dir, { events });
    try {
      const err = await store.readStream('product-p2').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(StreamGapError).and.include({ code: 'ERR_STREAM_GAP', streamId: 'product-p2' });
      expect((err as Error).message).to.match(/stream "product-p2" is missing versions 1\.\.4/);
      const head = await store.headPosition();
      const decided = await commandHandler(stock, store)('product-p2', { type: 'Ship', quantity: 40 }).catch(
        (e: unknown) => e,
      );
      expect(decided).to.be.instanceOf(StreamGapError).and.include({ streamId: 'product-p2' });
      expect(await store.headPosition()).to.equal(head);
    } finally {
      await store.close();
    }
  });

  it('trim and delete refuse too, naming the versions they would take; --dry-run is allowed, --force goes ahead', async () => {
    const dir = ws.fresh('trim');
    await inventory(dir);
    const trim = await klevdb(['trim', dir, '--count', '14']);
    expectError(
      trim,
      1,
      /refusing to trim .*: it is an event store's log; trimming would delete 6 of its 20 events, from 4 streams \("product-p1" versions 1\.\.2, "product-p2" versions 1\.\.2, "product-p3" version 1, "product-p4" version 1\)/,
    );
    expect(await ok(['trim', dir, '--count', '14', '--dry-run'])).to.match(/would trim 6 messages/);
    const del = await klevdb(['delete', dir, '6', '9']);
    expectError(
      del,
      1,
      /refusing to delete .*: it is an event store's log; deleting would delete 2 of its 20 events, from 2 streams \("product-p3" version 2, "product-p2" version 3\)|\("product-p2" version 3, "product-p3" version 2\)/,
    );
    expect(await messages(dir)).to.equal(20);
    expect(await ok(['delete', dir, '9', '--force'])).to.match(/deleted 1 message/);
    expect(await ok(['trim', dir, '--count', '14', '--force'])).to.match(/trimmed 5 messages/);
    expect(await messages(dir)).to.equal(14);
  });

  it('recognises a store made before logs were marked, by its events; a plain log is not refused', async () => {
    const dir = ws.fresh('unmarked');
    await inventory(dir);
    fs.rmSync(path.join(dir, 'klevdb-eventstore.json'));
    expectError(
      await klevdb(['compact', dir]),
      1,
      /it is an event store's log \(its events say so\); compacting would delete 16 of its 20 events/,
    );
    const plain = ws.fresh('plain');
    await ok(['publish', plain, 'k', 'v1']);
    await ok(['publish', plain, 'k', 'v2']);
    expect(await ok(['compact', plain])).to.match(/2 -> 1 messages/);
  });
});
