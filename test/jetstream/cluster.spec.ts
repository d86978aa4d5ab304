// A 3-node JetStream cluster on loopback ports, a stream with 3 replicas, a
// writer publishing without pause while the node leading the stream is
// SIGKILLed and later restarted: every acknowledged message is there once, in
// the order it was acknowledged, on the restarted node too.
import { expect } from 'chai';
import { connect } from '@nats-io/transport-node';
import { openJetStream, type JetStreamLog } from '../../src/jetstream/index.js';
import { consumeAll } from '../helpers/messages.js';
import { requireNatsServer } from '../helpers/external.js';
import { type NatsCluster, startCluster } from '../helpers/nats-server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

describe('jetstream cluster: 3 nodes, 3 replicas, a node killed mid-publish', function () {
  this.timeout(120_000);
  let cluster: NatsCluster | null = null;
  const logs: JetStreamLog[] = [];

  before(async function () {
    this.timeout(60_000);
    const bin = requireNatsServer(this);
    cluster = await startCluster(bin, 3);
  });
  after(async function () {
    this.timeout(30_000);
    await Promise.allSettled(logs.splice(0).map((l) => l.close()));
    await cluster?.stop();
    cluster = null;
  });

  it('asking for more replicas than the cluster has servers says so and what to do', async function () {
    const c = cluster!;
    let err: unknown;
    try {
      logs.push(await openJetStream({ servers: c.urls, stream: 'too-many-replicas', replicas: 5 }));
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'ERR_JETSTREAM');
    expect(String((err as Error).message)).to.match(/no suitable peers.*more replicas than the cluster has servers up/);
    expect(String((err as Error).message)).to.match(/options\.replicas/);
  });

  it('loses and duplicates no acknowledged message when the stream leader is SIGKILLed and restarted', async function () {
    const c = cluster!;
    const log = await openJetStream({
      servers: c.urls,
      stream: 'R3',
      replicas: 3,
      timeoutMs: 2000,
      retryForMs: 60_000,
      connectOptions: { maxReconnectAttempts: -1, reconnectTimeWait: 100 },
    });
    logs.push(log);
    expect(log.replicas).to.equal(3);
    const leaderOf = async (): Promise<string | undefined> => (await log.info()).cluster?.leader;
    await until('a stream leader', async () => (await leaderOf()) !== undefined, 20_000);
    const victim = c.node((await leaderOf())!);

    const acked: string[] = [];
    let stop = false;
    let failures = 0;
    const writer = (async () => {
      for (let i = 0; !stop;) {
        const batch = Array.from({ length: 10 }, () => ({ key: `p${i % 7}`, value: `m${i++}` }));
        try {
          await log.publish(batch);
          acked.push(...batch.map((m) => m.value));
        } catch (err) {
          // Not acknowledged: these may or may not be stored; the check below allows neither loss nor repeats of acked ones.
          failures++;
          if (failures > 3) throw err;
        }
      }
    })();

    await until('500 acknowledged before the kill', () => acked.length >= 500, 30_000);
    const pid = victim.pid!;
    const gone = new Promise((r) => victim.proc!.once('exit', r));
    process.kill(pid, 'SIGKILL');
    await gone;
    expect(victim.alive).to.equal(false);
    const atKill = acked.length;
    await until('500 more acknowledged with the leader dead', () => acked.length >= atKill + 500, 60_000);
    const newLeader = await leaderOf();
    expect(newLeader).to.be.a('string').and.not.equal(victim.spec.name);

    await victim.start();
    const atRestart = acked.length;
    await until('500 more acknowledged after the restart', () => acked.length >= atRestart + 500, 60_000);
    stop = true;
    await writer;
    expect(failures, 'no publish gave up').to.equal(0);

    const all = await consumeAll(log, 1000);
    const values = all.map((m) => m.value!.toString());
    expect(new Set(values).size, 'no message twice').to.equal(values.length);
    expect(values, 'every acknowledged message, in order').to.deep.equal(acked);
    expect(await log.nextOffset()).to.equal(acked.length);

    // The restarted node caught up: make it the leader and read everything from it.
    const admin = await connect({ servers: c.urls });
    try {
      await until(
        'the restarted replica is current',
        async () =>
          (await log.info()).cluster?.replicas?.some((r) => r.name === victim.spec.name && r.current) ?? false,
        30_000,
      );
      for (let tries = 0; (await leaderOf()) !== victim.spec.name; tries++) {
        expect(tries, 'the restarted node became leader after step-downs').to.be.below(12);
        await admin.request('$JS.API.STREAM.LEADER.STEPDOWN.R3', '', { timeout: 5000 }).catch(() => undefined);
        await until('a new leader', async () => (await leaderOf().catch(() => undefined)) !== undefined, 20_000);
      }
    } finally {
      await admin.close();
    }
    const fromVictim = (await consumeAll(log, 1000)).map((m) => m.value!.toString());
    expect(fromVictim).to.deep.equal(acked);
  });
});
