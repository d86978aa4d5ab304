// Item 4 of the interop suite: the directory lock across languages (a Go
// writer refuses Node's writer and plain readonly opens and the reverse;
// readonly is Go's shared lock), and a Node followWriter reader reading every
// message a Go process publishes without pause, in order, across rollovers.
import { expect } from 'chai';
import { migrate, open, OffsetOldest, recover, V2 } from '../../src/index.js';
import type { Log, Message, Options } from '../../src/index.js';
import { expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';
import { consumeAll } from '../helpers/messages.js';
import { goRead, goWrite } from './go-log.js';
import { goFlags, GoProcess, requireKlevgo } from './klevgo.js';

const OPTS: Options = { keyIndex: true, timeIndex: true, rollover: 2048 };

/** Message i of `klevgo publish-loop` (see interop/klevgo/publish_loop.go). */
function loopMessage(i: number): { offset: number; timeMicros: number; key: string; value: string } {
  return { offset: i, timeMicros: 1_700_000_000_000_000 + i, key: `key-${i % 7}`, value: `value-${i}` };
}
const plain = (m: Message) => ({ offset: m.offset, timeMicros: m.timeMicros, key: m.key?.toString(), value: m.value?.toString() });

describe('interop with Go klevdb: locks and followers across processes', function () {
  before(async function () {
    await requireKlevgo(this);
  });
  const running: GoProcess[] = [];
  const logs: Log[] = [];
  afterEach(async function () {
    for (const p of running.splice(0)) p.kill();
    await Promise.all(logs.splice(0).map((l) => l.close().catch(() => undefined)));
  });
  const tempDir = useTempDirs('klevdb-interop-');

  async function hold(dir: string, opts: Options): Promise<{ proc: GoProcess; first: Record<string, unknown> }> {
    const proc = GoProcess.start(['hold', '-dir', dir, ...goFlags(opts)]);
    running.push(proc);
    return { proc, first: await proc.next() };
  }
  async function nodeOpen(dir: string, opts: Options): Promise<Log> {
    const log = await open(dir, opts);
    logs.push(log);
    return log;
  }

  it('a Go writer makes Node writer and readonly opens, recover and migrate fail with ERR_LOCKED; a followWriter reader opens', async function () {
    const dir = await tempDir();
    await goWrite(dir, OPTS, [[{ key: 'k', value: 'v', timeMicros: 1 }]]);
    const { proc, first } = await hold(dir, OPTS);
    expect(first['ready']).to.equal(true);
    await expectLogError(() => open(dir, OPTS), 'ERR_LOCKED');
    await expectLogError(() => open(dir, { ...OPTS, readonly: true }), 'ERR_LOCKED');
    await expectLogError(() => recover(dir, OPTS), 'ERR_LOCKED');
    await expectLogError(() => migrate(dir, OPTS, V2), 'ERR_LOCKED');
    const follower = await nodeOpen(dir, { ...OPTS, readonly: true, followWriter: true });
    expect((await follower.get(0)).value?.toString()).to.equal('v');
    expect(await proc.stop()).to.deep.equal([{ closed: true }]);
    const writer = await nodeOpen(dir, OPTS);
    expect(await writer.nextOffset(), 'Node opens once Go closed').to.equal(1);
  });

  it('a Node writer makes Go writer and readonly opens fail; once it closes, Go opens', async function () {
    const dir = await tempDir();
    const writer = await nodeOpen(dir, { ...OPTS, createDirs: true });
    await writer.publish([{ key: 'k', value: 'v', timeMicros: 1 }]);
    expect((await hold(dir, OPTS)).first).to.deep.equal({ ready: false, error: 'open already locked' });
    expect((await hold(dir, { ...OPTS, readonly: true })).first).to.deep.equal({ ready: false, error: 'open already writing locked' });
    await writer.close();
    const { proc, first } = await hold(dir, OPTS);
    expect(first['ready']).to.equal(true);
    await proc.stop();
  });

  it('readonly is a shared lock in both: Go and Node readers share a log, and neither lets a writer in', async function () {
    const dir = await tempDir();
    await goWrite(dir, OPTS, [[{ key: 'k', value: 'v', timeMicros: 1 }]]);
    const goReader = await hold(dir, { ...OPTS, readonly: true });
    expect(goReader.first['ready']).to.equal(true);
    const nodeReader = await nodeOpen(dir, { ...OPTS, readonly: true });
    expect((await nodeReader.get(0)).key?.toString()).to.equal('k');
    await expectLogError(() => open(dir, OPTS), 'ERR_LOCKED');
    await goReader.proc.stop();
    expect((await hold(dir, OPTS)).first, 'a Node reader keeps a Go writer out').to.deep.equal({ ready: false, error: 'open already locked' });
    expect((await hold(dir, { ...OPTS, readonly: true })).first['ready'], 'but lets a Go reader in').to.equal(true);
  });

  it('a SIGKILLed Go writer leaves no lock behind', async function () {
    const dir = await tempDir();
    const { proc, first } = await hold(dir, OPTS);
    expect(first['ready']).to.equal(true);
    proc.kill();
    await proc.exited;
    const log = await nodeOpen(dir, OPTS);
    expect(await log.nextOffset()).to.equal(0);
  });

  it('a Node followWriter reader reads every message a Go process publishes without pause, in order, across rollovers', async function () {
    const dir = await tempDir();
    const writer = GoProcess.start(['publish-loop', '-dir', dir, ...goFlags(OPTS), '-count', '200000']);
    running.push(writer);
    expect((await writer.next())['ready']).to.equal(true);
    const reader = await nodeOpen(dir, { ...OPTS, readonly: true, followWriter: true });

    let offset: number = OffsetOldest;
    let read = 0;
    let calls = 0;
    const check = (messages: Message[]): void => {
      for (const m of messages) {
        expect(plain(m)).to.deep.equal(loopMessage(read));
        read++;
      }
    };
    // Read while Go writes; stop it part way, then read up to its last offset.
    while (read < 5_000) {
      const { nextOffset, messages } = await reader.consume(offset, 100);
      calls++;
      check(messages);
      if (messages.length === 0) await new Promise((r) => setTimeout(r, 2));
      offset = nextOffset;
    }
    const final = (await writer.stop()).at(-1)!['nextOffset'] as number;
    while (read < final) {
      const { nextOffset, messages } = await reader.consume(offset, 1000);
      calls++;
      check(messages);
      expect(nextOffset, 'the reader makes progress').to.be.greaterThan(offset);
      offset = nextOffset;
    }
    expect(read).to.equal(final);
    expect(final, 'Go was still publishing when the reader had read 5,000').to.be.lessThan(200_000);
    expect((await reader.stat()).segments, 'rollovers').to.be.greaterThan(20);
    expect(calls).to.be.greaterThan(50);
  });

  it('the reverse is not possible: klevdb has no follow mode, and a Go readonly open fails beside a Node writer; Go reads all once it closes', async function () {
    const dir = await tempDir();
    const writer = await nodeOpen(dir, { ...OPTS, createDirs: true });
    for (let i = 0; i < 300; i++) await writer.publish([{ key: `key-${i % 7}`, value: `value-${i}`, timeMicros: 1_700_000_000_000_000 + i }]);
    expect((await hold(dir, { ...OPTS, readonly: true })).first).to.deep.equal({ ready: false, error: 'open already writing locked' });
    const mine = (await consumeAll(writer)).map(plain);
    await writer.close();
    const go = await goRead(dir, OPTS);
    expect(go.messages.map((m) => ({ ...m, key: Buffer.from(m.key!, 'hex').toString(), value: Buffer.from(m.value!, 'hex').toString() }))).to.deep.equal(mine);
    expect(go.stats.segments).to.be.greaterThan(5);
  });
});
