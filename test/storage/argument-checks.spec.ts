// The three Log implementations (the log on disk, the in-memory log of
// klevdb/eventstore, the JetStream log) share their argument checks and
// their clock: the same bad call fails with the same LogError code and
// message on each, before anything is stored, and a message published
// without a time is stamped with microseconds from the same clock.
import { expect } from 'chai';
import {
  LogError,
  OffsetNewest,
  OffsetOldest,
  open,
  openBlocking,
  type BlockingLog,
  type Log,
  type LogErrorCode,
} from '../../src/index.js';
import { MemoryLog } from '../../src/eventstore/index.js';
import { caught } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';
import { useJetStreamBackend } from '../contracts/backends.js';

/** An ill-typed argument, as untyped JavaScript callers may pass. */
const bad = <T = never>(v: unknown): T => v as T;
const IA: LogErrorCode = 'ERR_INVALID_ARGUMENT';
const IO: LogErrorCode = 'ERR_INVALID_OFFSET';

/** A bad call and the code every Log rejects it with. */
interface BadCall {
  call: string;
  code: LogErrorCode;
  run: (log: BlockingLog) => unknown;
}

const BAD_CALLS: BadCall[] = [
  { call: "publish('x')", code: IA, run: (l) => l.publish(bad('x')) },
  { call: 'publish([null])', code: IA, run: (l) => l.publish(bad([null])) },
  { call: 'publish([[]])', code: IA, run: (l) => l.publish(bad([[]])) },
  { call: 'publish([{ key: 5 }])', code: IA, run: (l) => l.publish([{ key: bad(5) }]) },
  { call: 'publish([{ value: {} }])', code: IA, run: (l) => l.publish([{ value: bad({}) }]) },
  {
    call: 'publish([ok, { timeMicros: 1.5 }])',
    code: IA,
    run: (l) => l.publish([{ value: 'ok' }, { timeMicros: 1.5 }]),
  },
  { call: 'publish([{ time: Invalid Date }])', code: IA, run: (l) => l.publish([{ time: new Date(NaN) }]) },
  { call: "publish([{ time: 'today' }])", code: IA, run: (l) => l.publish([{ time: bad('today') }]) },
  { call: 'consume(-3, 1)', code: IA, run: (l) => l.consume(-3, 1) },
  { call: 'consume(0, 0)', code: IA, run: (l) => l.consume(0, 0) },
  { call: "consume('0', 1)", code: IA, run: (l) => l.consume(bad('0'), 1) },
  { call: 'consumeByKey(7, 0, 1)', code: IA, run: (l) => l.consumeByKey(bad(7), 0, 1) },
  { call: 'consumeByKey(null, 0, 1)', code: IA, run: (l) => l.consumeByKey(bad(null), 0, 1) },
  { call: "consumeByKey('k', 1.5, 1)", code: IA, run: (l) => l.consumeByKey('k', 1.5, 1) },
  { call: "consumeByKey('k', 0, -1)", code: IA, run: (l) => l.consumeByKey('k', 0, -1) },
  { call: 'get(1.5)', code: IA, run: (l) => l.get(1.5) },
  { call: "get('0')", code: IA, run: (l) => l.get(bad('0')) },
  { call: 'getByKey(undefined)', code: IA, run: (l) => l.getByKey(bad(undefined)) },
  { call: 'getByKey(7)', code: IA, run: (l) => l.getByKey(bad(7)) },
  { call: 'offsetByKey({})', code: IA, run: (l) => l.offsetByKey(bad({})) },
  { call: "getByTime('yesterday')", code: IA, run: (l) => l.getByTime(bad('yesterday')) },
  { call: 'getByTime(Invalid Date)', code: IA, run: (l) => l.getByTime(new Date(NaN)) },
  { call: 'offsetByTime(5)', code: IA, run: (l) => l.offsetByTime(bad(5)) },
  { call: 'delete(5)', code: IA, run: (l) => l.delete(bad(5)) },
  { call: 'delete(null)', code: IA, run: (l) => l.delete(bad(null)) },
  { call: "delete(['a'])", code: IA, run: (l) => l.delete(bad(['a'])) },
  { call: 'delete([1.5])', code: IA, run: (l) => l.delete([1.5]) },
  { call: 'delete(new Set([-3]))', code: IA, run: (l) => l.delete(new Set([-3])) },
  { call: 'delete([OffsetOldest])', code: IO, run: (l) => l.delete([OffsetOldest]) },
  { call: 'delete(new Set([0, OffsetNewest]))', code: IO, run: (l) => l.delete(new Set([0, OffsetNewest])) },
  { call: 'size(null)', code: IA, run: (l) => l.size(bad(null)) },
  { call: 'size({ key: 5 })', code: IA, run: (l) => l.size(bad({ key: 5, value: null })) },
  { call: 'size({ value: [] })', code: IA, run: (l) => l.size(bad({ key: null, value: [] })) },
  { call: "backup('')", code: IA, run: (l) => l.backup('') },
  { call: 'backup(5)', code: IA, run: (l) => l.backup(bad(5)) },
  { call: 'gc(-1)', code: IA, run: (l) => l.gc(-1) },
  { call: "gc('1')", code: IA, run: (l) => l.gc(bad('1')) },
  { call: 'consumeBlocking(1.5, 1)', code: IA, run: (l) => l.consumeBlocking(1.5, 1) },
  { call: 'consumeBlocking(0, 0)', code: IA, run: (l) => l.consumeBlocking(0, 0) },
  { call: 'consumeBlocking(0, 1, {})', code: IA, run: (l) => l.consumeBlocking(0, 1, bad({})) },
  { call: 'consumeByKeyBlocking(5, 0, 1)', code: IA, run: (l) => l.consumeByKeyBlocking(bad(5), 0, 1) },
  { call: "consumeByKeyBlocking('k', -3, 1)", code: IA, run: (l) => l.consumeByKeyBlocking('k', -3, 1) },
];

/** What each bad call did: its LogError's code and message, or what else happened. */
async function outcomes(log: BlockingLog): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of BAD_CALLS) {
    let err: unknown;
    try {
      await c.run(log);
      err = 'no error';
    } catch (e) {
      err = e;
    }
    out[c.call] = err instanceof LogError ? `${err.code}: ${err.message}` : `not a LogError: ${String(err)}`;
  }
  return out;
}

/** The log on disk answers every bad call with its code and stores nothing: the reference. */
async function reference(dir: string): Promise<Record<string, string>> {
  const log = await openBlocking(dir, { keyIndex: true, timeIndex: true });
  try {
    const got = await outcomes(log);
    for (const c of BAD_CALLS) expect(got[c.call], c.call).to.match(new RegExp(`^${c.code}: `));
    expect(await log.nextOffset()).to.equal(0);
    return got;
  } finally {
    await log.close();
  }
}

/** Publishes one message without a time; returns the time it was stamped with. */
async function stamp(log: Log): Promise<number> {
  const next = await log.publish([{ value: 'x' }]);
  return (await log.get(next - 1)).timeMicros;
}

describe('every Log implementation checks its arguments alike', () => {
  const tempDir = useTempDirs('klevdb-contract-');

  describe('the in-memory log', () => {
    it('rejects every bad call with the code and message of the log on disk, storing nothing', async () => {
      const expected = await reference(await tempDir());
      const memory = new MemoryLog();
      try {
        expect(await outcomes(memory)).to.deep.equal(expected);
        expect(await memory.nextOffset()).to.equal(0);
      } finally {
        await memory.close();
      }
    });

    it('is ERR_CLOSED once closed, as the log on disk', async () => {
      const memory = new MemoryLog();
      await memory.close();
      const err = await caught(() => memory.consume(0, 1));
      expect(err).to.be.instanceOf(LogError);
      expect((err as LogError).code).to.equal('ERR_CLOSED');
      expect((err as LogError).message).to.match(/ is closed; open it again to go on using it$/);
    });

    it('stamps messages without a time from the clock of the log on disk, in microseconds', async () => {
      const disk = await open(await tempDir(), { timeIndex: true });
      const memory = new MemoryLog();
      try {
        // Interleaved, the stamps of the two logs never go back: one clock. The in-memory
        // log's old clock (Date.now, whole milliseconds) stamped earlier than a disk publish
        // made before it in the same millisecond.
        const times: number[] = [];
        for (let i = 0; i < 50; i++) times.push(await stamp(disk), await stamp(memory));
        for (let i = 1; i < times.length; i++)
          expect(times[i], `stamp ${i} after ${times[i - 1]}`).to.be.at.least(times[i - 1]!);
        const memoryTimes = times.filter((_, i) => i % 2 === 1);
        expect(
          memoryTimes.some((t) => t % 1000 !== 0),
          'sub-millisecond stamps',
        ).to.equal(true);
      } finally {
        await disk.close();
        await memory.close();
      }
    });
  });

  describe('the JetStream log', () => {
    const jetstream = useJetStreamBackend();

    it('rejects every bad call with the code and message of the log on disk, storing nothing', async function () {
      this.timeout(60_000);
      const expected = await reference(await tempDir());
      const log = await jetstream.fresh();
      expect(await outcomes(log)).to.deep.equal(expected);
      expect(await log.nextOffset()).to.equal(0);
    });
  });
});
