// openEventStore over a log whose index options differ from the ones it is
// opened with: the error keeps storage's code (ERR_CORRUPTED, as klevdb's
// index mismatch) but names openEventStore's own option, `log: { timeIndex }`,
// not open()'s, and the options it names open the store.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { open, type Options } from '../../src/index.js';
import { openEventStore } from '../../src/eventstore/index.js';
import { expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';
import { AccountOpened, accountEvents } from './fixtures/account.js';

describe('eventstore: openEventStore with log options the log was not created with', function () {
  const tempDir = useTempDirs('klevdb-es-open-');

  /** A store created with `log` holding one event in stream 'a'. */
  async function storeCreatedWith(log: Options): Promise<string> {
    const dir = await tempDir();
    const store = await openEventStore(dir, { events: accountEvents, log });
    await store.appendToStream('a', AccountOpened({ owner: 'ann' }));
    await store.close();
    return dir;
  }

  const cases: [string, Options, Options, string][] = [
    ['created with a time index, opened without', { timeIndex: true }, {}, 'log: { timeIndex: true }'],
    ['created without a time index, opened with one', {}, { timeIndex: true }, 'log: { timeIndex: false }'],
    [
      'created with a time index, opened readonly without',
      { timeIndex: true },
      { readonly: true },
      'log: { timeIndex: true }',
    ],
  ];
  for (const [name, created, reopened, names] of cases) {
    it(`${name}: ERR_CORRUPTED naming openEventStore's option, which then opens it`, async function () {
      const dir = await storeCreatedWith(created);
      const err = await expectLogError(
        () => openEventStore(dir, { events: accountEvents, log: reopened }),
        'ERR_CORRUPTED',
        `openEventStore(dir, { ${names} })`,
      );
      // Storage's wording (open()'s option) is the cause, not the message.
      expect(err.message).not.to.match(/index corrupted/);
      expect((err.cause as Error).message).to.match(/index mismatch/);
      const timeIndex = created.timeIndex === true;
      const store = await openEventStore(dir, { events: accountEvents, log: { ...reopened, timeIndex } });
      try {
        expect((await store.readStream('a')).events.map((e) => e.data)).to.deep.equal([{ owner: 'ann' }]);
      } finally {
        await store.close();
      }
    });
  }

  it('a log created without a key index is refused as no event store log, ERR_CORRUPTED', async function () {
    const dir = await tempDir();
    const log = await open(dir, {});
    await log.publish([{ value: Buffer.from('not an event') }]);
    await log.close();
    const err = await expectLogError(() => openEventStore(dir), 'ERR_CORRUPTED', /without a key index/);
    expect(err.message).to.include("not an event store's log");
    // The log is left as it was: storage opens it with its own options.
    const again = await open(dir, { readonly: true });
    try {
      expect((await again.get(0)).value?.toString()).to.equal('not an event');
    } finally {
      await again.close();
    }
  });

  it('options the store refuses leave no log open, so the corrected call opens it (it was left locked)', async function () {
    const dir = await storeCreatedWith({});
    const refused = [
      { events: AccountOpened },
      { events: accountEvents, cachedStreams: -1 },
      { events: accountEvents, evnts: accountEvents },
    ];
    for (const bad of refused)
      await expectLogError(
        () => openEventStore(dir, bad as never),
        'ERR_INVALID_ARGUMENT',
        /events|cachedStreams|evnts/,
      );
    const store = await openEventStore(dir, { events: accountEvents });
    try {
      expect((await store.readStream('a')).events).to.have.length(1);
    } finally {
      await store.close();
    }
  });

  it('options the store refuses make no directory: nothing is created for a call that fails', async function () {
    const dir = path.join(await tempDir(), 'not-yet');
    for (const bad of [{ cachedEvents: 1.5 }, { events: AccountOpened }, { evnts: accountEvents }])
      await expectLogError(
        () => openEventStore(dir, bad as never),
        'ERR_INVALID_ARGUMENT',
        /cachedEvents|events|evnts/,
      );
    expect(fs.existsSync(dir), `${dir} exists`).to.equal(false);
    const store = await openEventStore(dir, { events: accountEvents });
    await store.close();
    expect(fs.existsSync(dir)).to.equal(true);
  });

  it('storage itself still names open() options for the same mismatch', async function () {
    const dir = await storeCreatedWith({ timeIndex: true });
    await expectLogError(() => open(dir, { keyIndex: true }), 'ERR_CORRUPTED', 'open it with timeIndex: true');
  });
});
