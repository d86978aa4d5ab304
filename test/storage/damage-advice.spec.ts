// What a damaged segment's error tells the user to do. recover repairs only
// the head segment (klevdb's rule), so a damaged record of a sealed segment
// names its offset and the two things that do help (a backup, reading on
// after it), and one of the head says recover; an open with the other index
// options names both options and says the files are not damaged.
import path from 'node:path';
import { expect } from 'chai';
import { type Log, OffsetOldest, open } from '../../src/index.js';
import { expectLogError } from '../helpers/errors.js';
import { fileSize, flipByte, segmentFile, useTempDirs } from '../helpers/fs.js';

const options = { keyIndex: true, timeIndex: true } as const;

/** 60 messages over 1,000-byte segments: several sealed segments and a head. */
async function fill(dir: string): Promise<number[]> {
  const log = await open(dir, { ...options, createDirs: true, rollover: 1000 });
  for (let i = 0; i < 60; i++) await log.publish([{ key: `k${i % 10}`, value: `value-${i}`.padEnd(40, '.') }]);
  const firsts: number[] = [];
  for (let o: number = OffsetOldest; o < 60;) {
    const { messages, nextOffset } = await log.consume(o, 1000);
    firsts.push(messages[0]!.offset);
    o = nextOffset;
  }
  await log.close();
  return firsts; // consume returns one segment at a time: the first offset of each
}

/** The offsets of [from, to) whose get fails, with the first failure. */
async function failing(log: Log, from: number, to: number): Promise<{ offsets: number[]; first: unknown }> {
  const offsets: number[] = [];
  let first: unknown;
  for (let o = from; o < to; o++) {
    await log.get(o).catch((err: unknown) => {
      offsets.push(o);
      first ??= err;
    });
  }
  return { offsets, first };
}

describe('storage: what a damaged segment error says to do', function () {
  this.timeout(30_000);
  const tempDir = useTempDirs('klevdb-damage-advice-');

  it('a damaged record of a sealed segment names its offset, a backup, and where to read on; consume from there works', async () => {
    const dir = await tempDir();
    const [first, second] = await fill(dir);
    await flipByte(path.join(dir, segmentFile(first!, 'log')), 300);
    const log = await open(dir, options);
    try {
      const { offsets } = await failing(log, first!, second!);
      expect(offsets, 'one record is damaged').to.have.length(1);
      const bad = offsets[0]!;
      const err = await expectLogError(() => log.get(bad), 'ERR_CORRUPTED', /crc failed/);
      expect(err.message).to.contain(`(offset ${bad}); recover repairs only the head segment`);
      expect(err.message).to.contain(`restore this one from a backup, or read on from offset ${bad + 1}`);
      await expectLogError(() => log.consume(first!, 100), 'ERR_CORRUPTED', `(offset ${bad})`);
      const after = await log.consume(bad + 1, 1);
      expect(after.messages[0]!.offset).to.equal(bad + 1);
    } finally {
      await log.close();
    }
  });

  it('a damaged record of the head says recover, read by a writer or a readonly log; recover keeps the records before it', async () => {
    const dir = await tempDir();
    const firsts = await fill(dir);
    const head = firsts.at(-1)!;
    const headLog = path.join(dir, segmentFile(head, 'log'));
    await flipByte(headLog, Math.floor((await fileSize(headLog)) / 2));
    const advice = /\(offset \d+\); open with recover: true to drop it with the rest of the head segment/;
    for (const readonly of [false, true]) {
      const log = await open(dir, { ...options, readonly });
      try {
        const { offsets, first } = await failing(log, head, 60);
        expect(offsets.length, `readonly: ${readonly}`).to.be.greaterThan(0);
        expect((first as Error).message).to.match(advice);
      } finally {
        await log.close();
      }
    }
    const recovered = await open(dir, { ...options, recover: true });
    try {
      const next = await recovered.nextOffset();
      expect(next).to.be.within(head, 59);
      expect((await recovered.get(head - 1)).value?.toString()).to.match(new RegExp(`^value-${head - 1}\\.`));
    } finally {
      await recovered.close();
    }
  });

  it('opening with other index options names both options and says the files are not damaged', async () => {
    const dir = await tempDir();
    await fill(dir);
    const neither = await expectLogError(
      () => open(dir),
      'ERR_CORRUPTED',
      'open it with timeIndex: true and keyIndex: true',
    );
    expect(neither.message).to.contain('its files are not damaged');
    await expectLogError(() => open(dir, { timeIndex: true }), 'ERR_CORRUPTED', /open it with keyIndex: true \(/);
    const log = await open(dir, options);
    expect(await log.nextOffset()).to.equal(60);
    await log.close();
  });

  it('an invalid Date is called one', async () => {
    const dir = await tempDir();
    const log = await open(dir, options);
    try {
      const invalid = 'an invalid Date (its time is NaN)';
      await expectLogError(() => log.publish([{ value: 'v', time: new Date('no') }]), 'ERR_INVALID_ARGUMENT', invalid);
      await expectLogError(
        () => log.getByTime(new Date(NaN)),
        'ERR_INVALID_ARGUMENT',
        `start must be a valid Date, got ${invalid}`,
      );
    } finally {
      await log.close();
    }
  });
});
