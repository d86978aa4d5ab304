// An event store's log stays a klevdb log: the marker the store writes beside
// the segments (klevdb-eventstore.json) changes nothing for the real Go
// klevdb, which checks, reads and appends to the directory, and an event Go
// appended is read back by the store.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defineEvent, openEventStore } from '../../src/eventstore/index.js';
import { useTempDirs } from '../helpers/fs.js';
import { goCheck, goRead, goWrite } from './go-log.js';
import { requireKlevgo } from './klevgo.js';

const Received = defineEvent('Received', z.object({ quantity: z.number().int().positive() }));

describe("interop with Go klevdb: an event store's marked log", function () {
  before(async function () {
    await requireKlevgo(this);
  });
  const tempDir = useTempDirs('klevdb-interop-es-');

  it('Go checks, reads and appends to it; the store reads what Go appended', async function () {
    const dir = await tempDir();
    const store = await openEventStore(dir, { events: [Received] });
    for (let i = 1; i <= 30; i++) await store.appendToStream(`product-p${i % 3}`, Received({ quantity: i }));
    await store.close();
    expect(fs.existsSync(path.join(dir, 'klevdb-eventstore.json'))).to.equal(true);

    const opts = { keyIndex: true };
    expect(await goCheck(dir, opts)).to.deep.equal({ ok: true });
    const read = await goRead(dir, opts);
    expect(read.messages).to.have.length(30);
    expect(read.nextOffset).to.equal(30);
    const envelope = { type: 'Received', schemaVersion: 1, data: { quantity: 99 }, meta: { eventId: 'go-1', recordedAt: new Date().toISOString(), streamVersion: 1 } };
    const timeMicros = Date.now() * 1000;
    expect(await goWrite(dir, opts, [[{ key: 'from-go', value: JSON.stringify(envelope), timeMicros }]])).to.equal(31);

    const again = await openEventStore(dir, { events: [Received] });
    try {
      const { events, version } = await again.readStream('from-go');
      expect(version).to.equal(1);
      expect(events[0]!.data).to.deep.equal({ quantity: 99 });
      expect((await again.readStream('product-p1')).events.map((e) => e.meta.streamVersion)).to.deep.equal(Array.from({ length: 10 }, (_, i) => i + 1));
    } finally {
      await again.close();
    }
  });
});
