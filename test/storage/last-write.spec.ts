// The newest messages are read from the writer's last append while its
// reused write buffer still holds them (a live subscriber's read right after
// the publish that woke it): no file read, a copy the caller owns, and the
// file again once any log of the process has appended since or the head was
// rewritten.
import { expect } from 'chai';
import type { Log, Message } from '../../src/index.js';
import { countingReads } from '../helpers/count-reads.js';
import { useTempDirs } from '../helpers/fs.js';
import { expectedView, expectedViews, gen, view, views } from '../helpers/messages.js';
import { useOpenLogs } from '../helpers/open-logs.js';

/** Every message from `offset` on (a consume stops at a segment's end). */
async function readFrom(log: Log, offset: number): Promise<Message[]> {
  const out: Message[] = [];
  for (let next = await log.nextOffset(); offset < next;) {
    const { nextOffset, messages } = await log.consume(offset, 10);
    out.push(...messages);
    offset = nextOffset;
  }
  return out;
}

/** No read cache: whatever is not read from the file here comes from the last append. */
const NO_CACHE = { keyIndex: true, readCacheSize: 0 };

describe('reading the last append from memory', function () {
  this.timeout(30_000);
  const { openLog } = useOpenLogs();
  const tempDir = useTempDirs('klevdb-last-write-');

  /** A log whose head is open for reading already (opening it reads its header). */
  async function openRead(): Promise<Log> {
    const log = await openLog(await tempDir(), NO_CACHE);
    await log.publish(gen(3));
    expect((await log.consume(0, 10)).messages).to.have.length(3);
    return log;
  }

  it('reads the messages of the last publish without a file read, as a copy the caller may change', async () => {
    const log = await openRead();
    const msgs = gen(2, 3);
    await log.publish(msgs);
    const { result, reads } = await countingReads(() => log.consume(3, 10));
    expect(reads, 'file reads').to.equal(0);
    expect(views(result.messages)).to.deep.equal(expectedViews(msgs, 3));
    // The copy is the caller's: changing it changes neither the buffer it came from nor the next read.
    result.messages[0]!.value!.fill(0x21);
    result.messages[1]!.key!.fill(0x21);
    const again = await countingReads(() => log.consume(3, 10));
    expect(again.reads, 'file reads the second time').to.equal(0);
    expect(views(again.result.messages)).to.deep.equal(expectedViews(msgs, 3));
    expect(view(await log.get(4))).to.deep.equal(expectedView(msgs[1]!, 4));
  });

  it('reads from the file what the last publish did not write', async () => {
    const log = await openRead();
    await log.publish(gen(1, 3));
    await log.publish(gen(1, 4));
    const { result, reads } = await countingReads(() => log.consume(2, 10));
    expect(reads, 'file reads').to.be.greaterThan(0);
    expect(views(result.messages)).to.deep.equal(expectedViews(gen(3, 2), 2));
  });

  it("reads from the file once another log's publish has reused the write buffer", async () => {
    const a = await openRead();
    const b = await openRead();
    // Same sizes, other bytes: the shared buffer now holds b's record where a's was.
    await a.publish([{ key: 'a', value: 'A'.repeat(100) }]);
    await b.publish([{ key: 'b', value: 'B'.repeat(100) }]);
    const fromA = await countingReads(() => a.consume(3, 10));
    expect(fromA.reads, "file reads for a's newest").to.be.greaterThan(0);
    expect(fromA.result.messages.map((m) => [m.offset, m.key?.toString(), m.value?.toString()])).to.deep.equal([
      [3, 'a', 'A'.repeat(100)],
    ]);
    const fromB = await countingReads(() => b.consume(3, 10));
    expect(fromB.reads, "file reads for b's newest").to.equal(0);
    expect(fromB.result.messages.map((m) => [m.offset, m.key?.toString(), m.value?.toString()])).to.deep.equal([
      [3, 'b', 'B'.repeat(100)],
    ]);
  });

  it('reads each newest message right across rollovers and a rewrite of the head', async () => {
    const log = await openLog(await tempDir(), { ...NO_CACHE, rollover: 1024 });
    const msgs = gen(30);
    for (let i = 0; i < 20; i++) {
      await log.publish([msgs[i]!]);
      expect(views((await log.consume(i, 10)).messages), `newest after publish ${i}`).to.deep.equal([
        expectedView(msgs[i]!, i),
      ]);
    }
    expect((await log.stat()).segments, 'segments').to.be.greaterThan(3);
    // Deleting from the head rewrites its files: the messages after the deleted one move.
    await log.delete([17]);
    expect(views(await readFrom(log, 16))).to.deep.equal([
      expectedView(msgs[16]!, 16),
      expectedView(msgs[18]!, 18),
      expectedView(msgs[19]!, 19),
    ]);
    for (let i = 20; i < 30; i++) {
      await log.publish([msgs[i]!]);
      expect(views((await log.consume(i, 10)).messages), `newest after publish ${i}`).to.deep.equal([
        expectedView(msgs[i]!, i),
      ]);
    }
  });
});
