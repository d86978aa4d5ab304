// What only the JetStream backend has or does: subjects and headers as other
// NATS clients see them, optimistic concurrency, purges, options, errors of
// a server that is away, and the mirror between the two backends.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  JetStreamError,
  JetStreamLog,
  mirror,
  openJetStream,
  type JetStreamOptions,
} from '../../src/jetstream/index.js';
import { compactUpdatesMulti } from '../../src/storage/compact.js';
import { LogError } from '../../src/storage/errors.js';
import { OffsetNewest, OffsetOldest, type Log, type Progress } from '../../src/storage/types.js';
import { expectLogError } from '../helpers/errors.js';
import { consumeAll, gen, views } from '../helpers/messages.js';
import { useNatsServer } from '../helpers/nats-server.js';
import { override } from '../streams/helpers.js';
import { useLocalBackend } from '../contracts/backends.js';

describe('jetstream backend', function () {
  this.timeout(30_000);
  const server = useNatsServer();
  const local = useLocalBackend();
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const logs: JetStreamLog[] = [];
  const streams: string[] = [];
  let n = 0;

  before(async () => {
    nc = await connect({ servers: server().url });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
  });
  afterEach(async () => {
    await Promise.allSettled(logs.splice(0).map((l) => l.close()));
    for (const s of streams.splice(0)) await jsm.streams.delete(s).catch(() => undefined);
  });

  const name = (): string => {
    const s = `J${process.pid}_${++n}`;
    streams.push(s);
    return s;
  };
  async function openLog(opts: Partial<JetStreamOptions> = {}): Promise<JetStreamLog> {
    const log = await openJetStream({ servers: server().url, stream: opts.stream ?? name(), ...opts });
    logs.push(log);
    return log;
  }

  describe('as other NATS clients see it', function () {
    it('one subject per key: base64url of the bytes, "~" for the empty key; the time in a header', async function () {
      const log = await openLog();
      await log.publish([
        { key: 'a.b *>', value: 'x', timeMicros: 1_000_001 },
        { key: null, value: 'y', timeMicros: 2_000_002 },
        { key: Buffer.from([0xfb, 0xff]), value: 'z', timeMicros: 3 },
      ]);
      const info = await jsm.streams.info(log.stream, { subjects_filter: '>' });
      expect(info.config.subjects).to.deep.equal([`klevdb.${log.stream}.*`]);
      expect(Object.keys(info.state.subjects ?? {}).sort()).to.deep.equal(
        [`klevdb.${log.stream}.YS5iICo-`, `klevdb.${log.stream}.~`, `klevdb.${log.stream}.-_8`].sort(),
      );
      const stored = await jsm.streams.getMessage(log.stream, { seq: 1 });
      expect(stored!.header.get('Klevdb-Time')).to.equal('1000001');
      expect(stored!.header.get('Nats-Msg-Id')).to.match(/\./);
      expect(new TextDecoder().decode(stored!.data)).to.equal('x');
    });

    it('reads messages other clients published without our headers: key from the subject, the server time', async function () {
      const log = await openLog();
      const before = Date.now();
      await nc.request(`klevdb.${log.stream}.${Buffer.from('ext').toString('base64url')}`, 'raw', { timeout: 5000 });
      const m = await log.get(0);
      expect(m.key?.toString()).to.equal('ext');
      expect(m.value?.toString()).to.equal('raw');
      expect(m.time.getTime()).to.be.within(before - 1000, Date.now() + 1000);
      expect((await log.getByKey('ext')).offset).to.equal(0);
    });

    it('keys too long for a subject and values over max_payload are ERR_INVALID_ARGUMENT, nothing is stored', async function () {
      const log = await openLog({ maxKeyBytes: 64 });
      await expectLogError(() => log.publish([{ key: 'k'.repeat(65) }]), 'ERR_INVALID_ARGUMENT', 'maxKeyBytes');
      await expectLogError(() => log.getByKey('k'.repeat(65)), 'ERR_INVALID_ARGUMENT');
      await expectLogError(
        () => log.publish([{ value: Buffer.alloc(2 * 1024 * 1024) }]),
        'ERR_INVALID_ARGUMENT',
        'max_payload',
      );
      expect(await log.nextOffset()).to.equal(0);
      await log.publish([{ key: 'k'.repeat(64) }]);
      expect(await log.offsetByKey('k'.repeat(64))).to.equal(0);
    });
  });

  describe('reading what was just acknowledged', function () {
    it('a consume right after a publish returns it, also from a consumer reused at the end of the log', async function () {
      const log = await openLog();
      const other = await openLog({ stream: log.stream });
      // Readers parked at the end of the log, each on its own consumer, read as soon as the acknowledgement arrives.
      const readers = 6;
      const offsets = new Array<number>(readers).fill(0);
      for (let i = 0; i < 200; i++) {
        const writer = i % 2 === 0 ? log : other;
        await writer.publish([{ key: `k${i % 3}`, value: `v${i}` }]);
        const got = await Promise.all(offsets.map((o) => log.consume(o, 10)));
        got.forEach((r, j) => {
          expect(
            r.messages.map((m) => m.value?.toString()),
            `round ${i}, reader ${j}`,
          ).to.deep.equal([`v${i}`]);
          offsets[j] = r.nextOffset;
        });
        const byKey = await log.consumeByKey(`k${i % 3}`, i, 10);
        expect(byKey.messages.map((m) => m.offset)).to.deep.equal([i]);
      }
    });
  });

  describe('optimistic concurrency (publishExpecting)', function () {
    it('appends only when the key is where the caller expects it', async function () {
      const log = await openLog();
      expect(await log.publishExpecting('order-1', null, [{ value: 'created' }, { value: 'paid' }])).to.deep.equal({
        ok: true,
        firstOffset: 0,
        nextOffset: 2,
      });
      await log.publish([{ key: 'other', value: '-' }]);
      expect(await log.publishExpecting('order-1', null, [{ value: 'again' }])).to.deep.equal({
        ok: false,
        stored: 0,
        actualLastOffset: 1,
      });
      expect(await log.publishExpecting('order-1', 0, [{ value: 'stale' }])).to.deep.equal({
        ok: false,
        stored: 0,
        actualLastOffset: 1,
      });
      expect(await log.publishExpecting('order-1', 1, [{ value: 'shipped' }])).to.deep.equal({
        ok: true,
        firstOffset: 3,
        nextOffset: 4,
      });
      expect(
        (await log.consumeByKey('order-1', OffsetOldest, 10)).messages.map((m) => m.value?.toString()),
      ).to.deep.equal(['created', 'paid', 'shipped']);
      await expectLogError(() => log.publishExpecting('order-1', -1, [{ value: 'x' }]), 'ERR_INVALID_ARGUMENT');
      await expectLogError(
        () => log.publishExpecting('order-1', 3, [{ key: 'other', value: 'x' }]),
        'ERR_INVALID_ARGUMENT',
      );
    });

    it('two writers on two connections never both append after the same version', async function () {
      const a = await openLog();
      const b = await openLog({ stream: a.stream });
      const rounds = 25;
      let wins = 0;
      for (let i = 0; i < rounds; i++) {
        const head = await a.offsetByKey('acct').catch(() => null);
        const [ra, rb] = await Promise.all([
          a.publishExpecting('acct', head, [{ value: `a${i}` }]),
          b.publishExpecting('acct', head, [{ value: `b${i}` }]),
        ]);
        expect([ra.ok, rb.ok].filter(Boolean), `round ${i}`).to.have.length(1);
        wins++;
        const loser = ra.ok ? rb : ra;
        const winner = ra.ok ? ra : rb;
        expect(loser.ok === false && loser.actualLastOffset).to.equal(winner.ok && winner.nextOffset - 1);
      }
      expect((await a.consumeByKey('acct', OffsetOldest, 1000)).messages).to.have.length(wins);
    });

    it('still checks a key after its newest message was deleted (nats-server 2.9 loses that subject state)', async function () {
      const log = await openLog();
      await log.publish([
        { key: 'k', value: '1' },
        { key: 'x', value: '-' },
        { key: 'k', value: '2' },
      ]);
      await log.delete([2]);
      expect(await log.offsetByKey('k')).to.equal(0);
      expect(await log.publishExpecting('k', 2, [{ value: 'no' }])).to.deep.equal({
        ok: false,
        stored: 0,
        actualLastOffset: 0,
      });
      expect(await log.publishExpecting('k', 0, [{ value: '3' }])).to.deep.equal({
        ok: true,
        firstOffset: 3,
        nextOffset: 4,
      });
      expect(await log.publishExpecting('k', 3, [{ value: '4' }])).to.deep.equal({
        ok: true,
        firstOffset: 4,
        nextOffset: 5,
      });
      expect((await log.get(OffsetNewest)).offset).to.equal(4);
      await log.delete([4]);
      expect((await log.get(OffsetNewest)).offset, 'the newest remaining message').to.equal(3);
    });
  });

  describe('retention with purges', function () {
    it('trimBefore and trimToCount purge the head; a delete of the whole head is one purge', async function () {
      const log = await openLog();
      await log.publish(gen(20));
      expect(await log.trimBefore(5)).to.equal(5);
      expect((await log.consume(OffsetOldest, 1)).messages[0]!.offset).to.equal(5);
      expect(await log.trimToCount(10)).to.equal(5);
      expect((await log.stat()).messages).to.equal(10);
      const r = await log.delete([10, 11, 12]);
      expect(r.deleted.map((m) => m.offset)).to.deep.equal([10, 11, 12]);
      const info = await jsm.streams.info(log.stream);
      expect(info.state.first_seq, 'purged, not deleted one by one').to.equal(14);
      expect(info.state.num_deleted ?? 0).to.equal(0);
      await log.delete([15, 17]);
      expect((await jsm.streams.info(log.stream)).state.num_deleted).to.equal(2);
      expect(await log.trimBefore(OffsetNewest)).to.equal(5);
      expect(await log.nextOffset()).to.equal(20);
      expect(await log.consume(OffsetOldest, 10)).to.deep.equal({ nextOffset: 20, messages: [] });
    });

    it('compactUpdates keeps the newest message per key with one purge per key, as the generic one does', async function () {
      const msgs = Array.from({ length: 60 }, (_, i) => ({
        key: `k${i % 7}`,
        value: `v${i}`,
        timeMicros: 1_000_000 * (i + 1),
      }));
      const before = new Date(40_000);
      const js = await openLog();
      const loc = await local.fresh();
      await js.publish(msgs);
      await loc.publish(msgs);
      await js.compactUpdates(before);
      await compactUpdatesMulti(loc, before);
      expect(views(await consumeAll(js))).to.deep.equal(views(await consumeAll(loc)));
      const purged = await js.compactUpdates();
      expect(purged).to.be.greaterThan(0);
      const left = await consumeAll(js);
      expect(left.map((m) => m.key?.toString()).sort()).to.deep.equal(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
      for (const m of left) expect((await js.getByKey(m.key!)).offset).to.equal(m.offset);
    });

    it('setLimits hands retention to the server (at most one message per key)', async function () {
      const log = await openLog();
      await log.setLimits({ maxMessagesPerKey: 1 });
      await log.publish([
        { key: 'a', value: '1' },
        { key: 'b', value: '1' },
        { key: 'a', value: '2' },
      ]);
      expect((await consumeAll(log)).map((m) => m.offset)).to.deep.equal([1, 2]);
      expect((await jsm.streams.info(log.stream)).config.max_msgs_per_subject).to.equal(1);
    });
  });

  describe('opening', function () {
    it('refuses a stream with other subjects, a missing stream when readonly or create: false, and bad options', async function () {
      const s = name();
      await jsm.streams.add({ name: s, subjects: ['elsewhere.>'] });
      await expectLogError(() => openLog({ stream: s }), 'ERR_INVALID_ARGUMENT', 'subjectPrefix');
      await expectLogError(() => openLog({ readonly: true }), 'ERR_INVALID_ARGUMENT', 'does not exist');
      await expectLogError(() => openLog({ create: false }), 'ERR_INVALID_ARGUMENT', 'does not exist');
      await expectLogError(() => openLog({ stream: 'a.b' }), 'ERR_INVALID_ARGUMENT', 'stream');
      await expectLogError(() => openLog({ subjectPrefix: 'a.>' }), 'ERR_INVALID_ARGUMENT', 'subjectPrefix');
      await expectLogError(() => openLog({ replicas: 0 }), 'ERR_INVALID_ARGUMENT', 'replicas');
      await expectLogError(() => openLog({ timeLookup: 'later' as 'server' }), 'ERR_INVALID_ARGUMENT', 'timeLookup');
    });

    it('a stream made with a prefix opens with it; memory storage and server times work', async function () {
      const log = await openLog({ subjectPrefix: 'shop.orders', storage: 'memory', timeLookup: 'server' });
      const t0 = new Date();
      await log.publish([{ key: 'o1', value: 'x', timeMicros: 5 }]);
      await new Promise((r) => setTimeout(r, 20));
      const t1 = new Date();
      await log.publish([{ key: 'o2', value: 'y', timeMicros: 6 }]);
      expect((await jsm.streams.info(log.stream)).config.storage).to.equal('memory');
      // the server's receive times, not the published ones (5 and 6 µs after the epoch)
      expect((await log.getByTime(t0)).offset).to.equal(0);
      expect((await log.getByTime(t1)).offset).to.equal(1);
      await expectLogError(() => log.getByTime(new Date(Date.now() + 60_000)), 'ERR_NOT_FOUND');
      let sum = 0;
      for (const m of await consumeAll(log)) sum += log.size(m);
      expect(sum).to.equal((await log.stat()).size);
      const again = await openLog({ stream: log.stream, subjectPrefix: 'shop.orders' });
      expect((await again.getByKey('o2')).value?.toString()).to.equal('y');
    });
  });

  describe('when the server is away', function () {
    it('reads and publishes fail with JetStreamError (not a LogError) instead of hanging; close still works', async function () {
      const log = await openLog({
        timeoutMs: 300,
        retryForMs: 600,
        connectOptions: { maxReconnectAttempts: -1, reconnectTimeWait: 100 },
      });
      await log.publish([{ value: 'a' }]);
      const s = server();
      s.proc!.kill('SIGSTOP');
      while (!/^\d+ \(.*\) T/.test(await readFile(`/proc/${s.pid}/stat`, 'utf8')))
        await new Promise((r) => setTimeout(r, 5));
      try {
        const started = Date.now();
        const err = await log.publish([{ value: 'b' }, { value: 'c' }]).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(JetStreamError);
        expect(err).not.to.be.instanceOf(LogError);
        expect((err as JetStreamError).stored).to.equal(0);
        expect(Date.now() - started).to.be.below(5000);
        expect(
          await log.get(0).then(
            () => null,
            (e: unknown) => e,
          ),
        ).to.be.instanceOf(JetStreamError);
      } finally {
        s.proc!.kill('SIGCONT');
      }
      // the resent message ids make a later publish of the same log safe: nothing twice
      expect(await log.publish([{ value: 'd' }])).to.be.at.least(2);
      const values = (await consumeAll(log)).map((m) => m.value?.toString());
      expect(new Set(values).size).to.equal(values.length);
      await log.close();
      await expectLogError(() => log.nextOffset(), 'ERR_CLOSED');
    });

    it('a publish survives a server restart: resent with the same ids, stored once', async function () {
      // SIGTERM: a single server may lose what it acknowledged just before a SIGKILL
      // (it writes to disk in the background); surviving that is the cluster's job.
      const log = await openLog({
        timeoutMs: 500,
        retryForMs: 20_000,
        connectOptions: { maxReconnectAttempts: -1, reconnectTimeWait: 50 },
      });
      await log.publish(gen(10));
      const s = server();
      const publishing = log.publish(gen(2000, 10));
      await new Promise((r) => setTimeout(r, 5));
      await s.kill('SIGTERM');
      await s.start();
      expect(await publishing).to.equal(2010);
      const all = await consumeAll(log, 1000);
      expect(all.map((m) => m.key?.toString().trim())).to.deep.equal(Array.from({ length: 2010 }, (_, i) => String(i)));
    });
  });

  describe('mirror', function () {
    async function sourceWithGaps(): Promise<Log> {
      const src = await local.fresh();
      await src.publish(
        Array.from({ length: 50 }, (_, i) => ({
          key: i % 4 === 0 ? null : `k${i % 9}`,
          value: i % 5 === 0 ? null : `v${i}`,
          timeMicros: 1_000_000 * i + (i % 3),
        })),
      );
      await src.delete([0, 1, 2, 3, 4]); // a trimmed head
      await src.delete([20, 21, 33]); // holes
      await src.delete([49]); // the newest
      return src;
    }

    it('copies a local log into JetStream and back with offsets, keys, values and times preserved', async function () {
      const src = await sourceWithGaps();
      const js = await openLog();
      const progress: Progress[] = [];
      const r = await mirror(src, js, { batchSize: 7, onProgress: (p) => progress.push(p) });
      expect(r).to.deep.equal({ copied: 41, skipped: 9, nextOffset: 50 });
      expect(views(await consumeAll(js))).to.deep.equal(views(await consumeAll(src)));
      expect(await js.nextOffset()).to.equal(50);
      await expectLogError(() => js.get(20), 'ERR_NOT_FOUND');
      expect((await js.getByKey('k1')).offset).to.equal((await src.getByKey('k1')).offset);
      expect(progress.at(-1)).to.deep.equal({ operation: 'mirror', done: 50, total: 50, unit: 'messages' });
      expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done)).to.equal(true);
      expect(
        Object.keys((await jsm.streams.info(js.stream, { subjects_filter: '>' })).state.subjects ?? {}).some((s) =>
          s.endsWith('~gap'),
        ),
      ).to.equal(false);

      const back = await local.fresh();
      expect((await mirror(js, back)).nextOffset).to.equal(50);
      expect(views(await consumeAll(back))).to.deep.equal(views(await consumeAll(src)));
    });

    it('into JetStream, skips what the source no longer holds with skipTo: nothing but the copies goes out on the log subjects', async function () {
      const src = await sourceWithGaps();
      const js = await openLog();
      const subjects: string[] = [];
      const sub = nc.subscribe(`klevdb.${js.stream}.*`, { callback: (_err, m) => void subjects.push(m.subject) });
      await nc.flush();
      expect(await mirror(src, js)).to.deep.equal({ copied: 41, skipped: 9, nextOffset: 50 });
      await nc.flush();
      sub.unsubscribe();
      // The generic way (placeholder messages under the empty key, then deleted) would send 50.
      expect(subjects.filter((s) => !s.endsWith('.~gap'))).to.have.length(41);
      expect(views(await consumeAll(js))).to.deep.equal(views(await consumeAll(src)));
    });

    it('is resumable: an aborted run continues where it stopped, a later run copies only what is new', async function () {
      const src = await sourceWithGaps();
      const js = await openLog();
      const controller = new AbortController();
      await expectLogError(
        () =>
          mirror(src, js, {
            batchSize: 10,
            signal: controller.signal,
            onProgress: (p) => p.done >= 20 && controller.abort(),
          }),
        'ERR_ABORTED',
      );
      const partial = await js.nextOffset();
      expect(partial).to.be.within(20, 49);
      const rest = await mirror(src, js, { batchSize: 10 });
      expect(rest.nextOffset).to.equal(50);
      expect(views(await consumeAll(js))).to.deep.equal(views(await consumeAll(src)));
      expect(await mirror(src, js)).to.deep.equal({ copied: 0, skipped: 0, nextOffset: 50 });
      await src.publish([{ key: 'new', value: 'n', timeMicros: 99 }]);
      expect(await mirror(src, js)).to.deep.equal({ copied: 1, skipped: 0, nextOffset: 51 });
      expect((await js.get(50)).timeMicros).to.equal(99);
    });

    it('a message published as a run ends is copied by the next run, never taken for a deleted one', async function () {
      const src = await local.fresh();
      await src.publish(gen(3));
      let published = false;
      // Another writer appends right after the read that found the end of the source.
      const racing = override(src, {
        consume: async (offset: number, maxCount: number) => {
          const r = await src.consume(offset, maxCount);
          if (r.messages.length === 0 && !published) {
            published = true;
            await src.publish(gen(1, 3));
          }
          return r;
        },
      });
      const js = await openLog();
      expect(await mirror(racing, js)).to.deep.equal({ copied: 3, skipped: 0, nextOffset: 3 });
      expect(await mirror(src, js)).to.deep.equal({ copied: 1, skipped: 0, nextOffset: 4 });
      expect(views(await consumeAll(js))).to.deep.equal(views(await consumeAll(src)));
    });

    it('refuses a destination that is not a copy of the source', async function () {
      const src = await local.fresh();
      await src.publish(gen(5));
      const js = await openLog();
      await js.publish([{ value: 'something else' }]);
      await expectLogError(() => mirror(src, js), 'ERR_INVALID_ARGUMENT', 'not a copy');
      const ahead = await openLog();
      await ahead.publish(gen(6));
      await expectLogError(() => mirror(src, ahead), 'ERR_INVALID_ARGUMENT', 'ahead');
      await expectLogError(() => mirror(src, 'x' as unknown as Log), 'ERR_INVALID_ARGUMENT');
    });
  });
});
