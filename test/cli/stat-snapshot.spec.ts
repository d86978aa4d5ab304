// What `klevdb stat` reads beside a writer: counts from one moment once the
// writer pauses, or, from a writer that never does, the last reading with how
// far apart its counts are (src/cli/stat-snapshot.ts, driven with a log whose
// writer publishes whenever the reader looks).
import { expect } from 'chai';
import { open } from '../../src/index.js';
import type { Log } from '../../src/index.js';
import { snapshot } from '../../src/cli/stat-snapshot.js';
import { useTempDirs } from '../helpers/fs.js';

describe('klevdb stat: a reading from one moment', () => {
  const tempDir = useTempDirs();

  /** The log as the reader sees it, with a writer that publishes one message at each of the first `busyFor` looks. */
  async function busyLog(busyFor: number): Promise<{ log: Log; looks: () => number; close: () => Promise<void> }> {
    const log = await open(await tempDir(), { createDirs: true, rollover: 1024 });
    await log.publish(Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(40) })));
    let looks = 0;
    const reader = Object.create(log) as Log;
    reader.nextOffset = async () => {
      if (looks++ < busyFor) await log.publish([{ key: 'busy', value: 'v'.repeat(40) }]);
      return log.nextOffset();
    };
    return { log: reader, looks: () => looks, close: () => log.close() };
  }

  it('reads again until the writer pauses, also past the quick tries, and then its counts agree', async () => {
    const { log, looks, close } = await busyLog(61);
    try {
      const s = await snapshot(log, 10_000);
      expect(s.publishedDuring).to.equal(0);
      expect(looks(), 'two looks a reading; the first steady one is the 31st').to.equal(62);
      expect(s.stats.messages).to.equal(s.nextOffset - s.first!.offset);
    } finally {
      await close();
    }
  });

  it('from a writer that never pauses: the last reading after the patience, with what was published during it', async () => {
    const { log, close } = await busyLog(Number.MAX_SAFE_INTEGER);
    try {
      const started = Date.now();
      const s = await snapshot(log, 300);
      expect(Date.now() - started).to.be.at.least(300);
      expect(s.publishedDuring, 'the one published between its two looks').to.equal(1);
      const span = s.nextOffset - s.first!.offset;
      expect(s.stats.messages).to.be.within(span - s.publishedDuring, span);
    } finally {
      await close();
    }
  });
});
