// Projections on JetStream: the shared projection suite with a JetStream
// source and the state in a jetStreamProjectionStore, then what only a
// store on a server does (taking over from a runner that died, fencing off
// one that lost its projection).
import { expect } from 'chai';
import { connect } from '@nats-io/transport-node';
import { isLogError } from '../../src/index.js';
import { jetStreamProjectionStore, openJetStream } from '../../src/jetstream/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { caught, expectLogError } from '../helpers/errors.js';
import { useJetStreamProjections } from '../contracts/projection-backends.js';
import { counterProjection, eventually, foldCounters, publishCounterEvents } from '../projections/fixtures/counter.js';
import { projectionsContract } from '../contracts/projections.contract.js';

describe('projections: JetStream source and state', function () {
  const h = useJetStreamProjections();
  projectionsContract(h);

  describe('what a store on a server adds', function () {
    this.timeout(30_000);

    it('hands a projection whose runner died (its connection gone, nothing released) to the next runner at once', async () => {
      const source = await h.source(300, { keys: 5 });
      const connection = await connect({ servers: h.servers() });
      const dying = new ProjectionRunner({
        store: jetStreamProjectionStore({ connection, prefix: h.store().names.prefix }),
      });
      h.defer(() => dying.close());
      dying.add(counterProjection(source));
      await dying.start();
      await dying.whenRunning();
      // As a killed process: its connection ends, the runner never closes.
      await connection.close();
      const started = Date.now();
      const next = h.runner().add(counterProjection(source));
      await next.open();
      expect(Date.now() - started, 'no lease to wait out').to.be.lessThan(2000);
      expect((await next.status()).checkpoint).to.equal(300);
      await next.start();
      await next.whenRunning();
      expect((await next.snapshot()).states).to.deep.equal(await foldCounters(source));
      await dying.close();
    });

    it('fails a runner with ERR_LOCKED when another writer wrote its state stream, storing nothing beside it', async () => {
      const source = await h.source(100, { keys: 5 });
      const projection = h.runner().add(counterProjection(source));
      await projection.start();
      await projection.whenRunning();
      const state = await h.stateLog('counters', 1);
      const foreign = await state.publish([{ key: 'c1', value: '{"o":0,"s":{"count":99,"sum":0,"chain":0}}' }]);
      await publishCounterEvents(source, 100, 10, { keys: 5 });
      await eventually(() => projection.state === 'failed', 10_000, 'the runner to fail');
      const { error } = await projection.status();
      expect(isLogError(error, 'ERR_LOCKED'), String(error)).to.equal(true);
      expect(await state.nextOffset(), "nothing of the runner's commit is stored").to.equal(foreign);
    });

    it('refuses a generation switch to a runner whose pointer another runner moved', async () => {
      const source = await h.source(100, { keys: 5 });
      const projection = h.runner().add(counterProjection(source));
      await projection.start();
      await projection.whenRunning();
      const catalog = await openJetStream({ servers: h.servers(), ...h.store().names.catalog });
      h.defer(() => catalog.close());
      await catalog.publish([{ key: h.store().names.pointerKey('counters'), value: '9' }]);
      const refused = await caught(() => projection.rebuild());
      expect(isLogError(refused, 'ERR_LOCKED'), String(refused)).to.equal(true);
      expect(
        await h.stored('counters'),
        "the other runner's pointer stays; the rebuilt generation is gone",
      ).to.deep.equal({ current: 9, generations: [1] });
      expect(projection.state, 'no longer following the source, it answers no query').to.equal('failed');
      expect(await caught(() => projection.get('c1'))).to.include({ state: 'failed' });
    });

    it('says what it holds for a projection without taking it, and which streams a generation has', async () => {
      const source = await h.source(50, { keys: 5 });
      const projection = h.runner().add(counterProjection(source, { name: 'with.dot' }));
      await projection.start();
      await projection.whenRunning();
      expect(await h.store().describe('with.dot')).to.deep.equal({ current: 1, generations: [1] });
      expect(await h.store().describe('counters'), 'a projection it never held').to.deep.equal({
        current: undefined,
        generations: [],
      });
      const { state, deadLetter } = h.store().streams('with.dot', 1);
      expect(state.stream).to.equal(`${h.store().names.prefix}-with~dot-g1-state`);
      expect(deadLetter.subjectPrefix).to.equal(`${h.store().names.prefix}.gen.with~dot.g1.dead-letter`);
      const log = await openJetStream({ servers: h.servers(), ...state, create: false });
      h.defer(() => log.close());
      expect((await log.stat()).messages, 'the states and the checkpoint').to.be.greaterThan(1);
    });
  });

  describe('bad input', function () {
    it('jetStreamProjectionStore rejects bad options, naming them', async () => {
      // Deliberately wrong shapes, as JavaScript callers could pass them.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const store = (options: any) => jetStreamProjectionStore(options);
      await expectLogError(() => store(5), 'ERR_INVALID_ARGUMENT', 'options must be an object');
      await expectLogError(() => store({ prefix: 'a.b' }), 'ERR_INVALID_ARGUMENT', 'options.prefix');
      await expectLogError(() => store({ prefix: '' }), 'ERR_INVALID_ARGUMENT', 'options.prefix');
      await expectLogError(() => store({ replicas: 0 }), 'ERR_INVALID_ARGUMENT', 'options.replicas');
      await expectLogError(() => store({ storage: 'disk' }), 'ERR_INVALID_ARGUMENT', 'options.storage');
      await expectLogError(() => store({ timeoutMs: 1.5 }), 'ERR_INVALID_ARGUMENT', 'options.timeoutMs');
      await expectLogError(() => store({ connection: 'nats://x' }), 'ERR_INVALID_ARGUMENT', 'options.connection');
      await expectLogError(
        () => h.store().streams('counters', 0),
        'ERR_INVALID_ARGUMENT',
        'id must be a generation number',
      );
      await expectLogError(() => h.store().describe('a~b'), 'ERR_INVALID_ARGUMENT', 'name must be a projection name');
    });
  });
});
