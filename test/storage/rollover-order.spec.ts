// Calls made without awaiting the publishes before them, some of which roll
// the head over (a rollover syncs the full head first), see what those
// publishes did, in call order; close() lands them all.
import { readdir } from 'node:fs/promises';
import { expect } from 'chai';
import type { Log, Options } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';

// Each message is 36 + 2 + 4 bytes in V2: a rollover every 3 messages.
const opts: Options = { keyIndex: true, timeIndex: true, rollover: 3 * 42 - 1 };
const msg = (i: number) => ({ key: `k${i % 10}`, value: `v${String(i).padStart(3, '0')}`, timeMicros: 1_000 + i });

describe('publish across a rollover keeps call order', () => {
  const tempDir = useTempDirs('klevdb-rollover-');

  async function fresh(extra: Options = {}): Promise<{ dir: string; log: Log }> {
    const dir = await tempDir();
    return { dir, log: await open(dir, { ...opts, ...extra, createDirs: true }) };
  }

  it('publishes called together get consecutive offsets, and reads called after them see them', async () => {
    const { log } = await fresh();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      calls.push(log.publish([msg(i)]).then((next) => expect(next).to.equal(i + 1)));
      // Not awaited: a read right behind a publish that is rolling over sees it.
      calls.push(log.get(i).then((m) => expect(m.value?.toString()).to.equal(msg(i).value)));
      calls.push(log.nextOffset().then((next) => expect(next).to.equal(i + 1)));
      if (i % 10 === 9) calls.push(log.getByKey(`k${i % 10}`).then((m) => expect(m.offset).to.equal(i)));
    }
    await Promise.all(calls);
    expect((await log.stat()).segments).to.equal(14);
    await log.close();
  });

  it('a delete called right after a rolling-over publish deletes what it published', async () => {
    const { log } = await fresh({ autoSync: true });
    await log.publish([msg(0), msg(1), msg(2)]);
    const published = log.publish([msg(3)]);
    const deleted = log.delete([3]);
    expect(await published).to.equal(4);
    expect((await deleted).deleted.map((m) => m.offset)).to.deep.equal([3]);
    await expectLogError(() => log.get(3), 'ERR_NOT_FOUND');
    expect(await log.nextOffset()).to.equal(4);
    await log.close();
  });

  it('close() called without awaiting the publishes lands them all, and a later publish is refused', async () => {
    const { dir, log } = await fresh();
    const calls = Array.from({ length: 20 }, (_, i) => log.publish([msg(i)]));
    const closed = log.close();
    await expectLogError(() => log.publish([msg(99)]), 'ERR_CLOSED');
    expect(await Promise.all(calls)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    await closed;
    const again = await open(dir, opts);
    const messages = [];
    // consume stops at a segment's end: read on until the log's end.
    for (let next = 0; next < 20;) {
      const got = await again.consume(next, 100);
      messages.push(...got.messages);
      next = got.nextOffset;
    }
    expect(messages.map((m) => m.value?.toString())).to.deep.equal(Array.from({ length: 20 }, (_, i) => msg(i).value));
    expect((await readdir(dir)).filter((f) => f.endsWith('.log'))).to.have.length(7);
    await again.close();
  });
});
