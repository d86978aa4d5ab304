// examples/kv: the scripted scenario and the store under it.
import { expect } from 'chai';
import path from 'node:path';
import { BackgroundCompactor } from '../../examples/kv/compactor.js';
import { KvStore } from '../../examples/kv/kv-store.js';
import { run } from '../../examples/kv/run.js';
import { capture, useTempDir } from './helpers.js';

describe('examples/kv', () => {
  const dataDir = useTempDir('kv');

  it('runs the scenario: the disk size shrinks with compaction and every answer stays the same', async () => {
    const out = capture();
    const result = await run({ dataDir: dataDir(), print: out.print });
    expect(result.keysAtStart).to.equal(0);
    expect(result.user1).to.deep.equal({ name: 'user 1', visits: 16 });
    expect(result.config).to.deep.equal([
      ['config:lang', 'en'],
      ['config:theme', 'dark'],
    ]);
    expect(result.keys).to.have.length(32);
    expect(result.keys).to.not.include('user:40');
    expect(result.before.messages).to.equal(40 * 16 + 4 + 10);
    // Only the newest value of each live key is left; replaced: all but the 30 live users' last values, and config:beta's.
    expect(result.after.messages).to.equal(32);
    expect(result.round).to.include({ updates: 40 * 16 - 30 + 1, tombstones: 11 });
    expect(result.after.bytes).to.be.lessThan(result.before.bytes / 4);
    expect(out.text()).to.match(/before compaction: 654 messages/);
    expect(out.text()).to.match(/after compaction: {2}32 messages/);
  });

  it('goes on from what is stored when run again, and --reset starts clean', async () => {
    await run({ dataDir: dataDir(), print: () => undefined });
    const second = await run({ dataDir: dataDir(), print: () => undefined });
    expect(second.keysAtStart).to.equal(32);
    expect(second.user1).to.deep.equal({ name: 'user 1', visits: 32 });
    expect(second.after.messages).to.equal(32);
    const reset = await run({ dataDir: dataDir(), reset: true, print: () => undefined });
    expect(reset.keysAtStart).to.equal(0);
    expect(reset.user1?.visits).to.equal(16);
  });

  it('put / get / delete / list by prefix, and tombstones survive a reopen', async () => {
    const dir = path.join(dataDir(), 'kv');
    let store = await KvStore.open<number>(dir);
    await store.put('a:1', 1);
    await store.put('a:2', 2);
    await store.put('b:1', 3);
    await store.put('a:1', 10);
    expect(await store.delete('a:2')).to.equal(true);
    expect(await store.delete('zzz')).to.equal(false);
    expect(await store.get('a:1')).to.equal(10);
    expect(await store.get('a:2')).to.equal(undefined);
    expect(await store.list('a:')).to.deep.equal([['a:1', 10]]);
    await store.close();
    store = await KvStore.open<number>(dir);
    try {
      expect(store.size).to.equal(2);
      expect(await store.list()).to.deep.equal([
        ['a:1', 10],
        ['b:1', 3],
      ]);
      expect(await store.get('a:2')).to.equal(undefined);
    } finally {
      await store.close();
    }
  });

  it('keeps taking writes while compaction runs in the background', async () => {
    const store = await KvStore.open<number>(path.join(dataDir(), 'kv'), { rollover: 4096 });
    const compactor = new BackgroundCompactor(store.log.raw(), { everyMs: 1 }).start();
    try {
      for (let round = 1; round <= 30; round++) {
        await Promise.all(Array.from({ length: 20 }, (_, k) => store.put(`k${k}`, round)));
        if (round % 10 === 0) await compactor.nextRound();
      }
      await compactor.nextRound();
      const entries = await store.list('k');
      expect(entries).to.have.length(20);
      for (const [, value] of entries) expect(value).to.equal(30);
      expect((await store.log.stat()).messages).to.equal(20);
    } finally {
      await compactor.stop();
      await store.close();
    }
  });
});
