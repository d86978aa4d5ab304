// The inspector's subscriptions view (issue 19, section 4): the durable
// subscriptions whose offsets are in the directory given as --subscriptions,
// with their committed position, lag behind the source, and whether a
// consumer holds their lock (read from the kernel's lock table, never by
// taking the lock); a damaged commit record is reported, not a failure.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { open, openBlocking, type BlockingLog } from '../../src/index.js';
import { startInspector, type Inspector } from '../../src/inspector/index.js';
import type { SubscriptionSummary, Subscriptions } from '../../src/inspector/browser/api-types.js';
import { openSubscription, type DurableSubscription } from '../../src/streams/index.js';
import { getJson, request, tempDir } from './helpers.js';

const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

/** Runs the subscription until it has handled `count` messages, then stops it (committed: auto). */
async function consume(sub: DurableSubscription, count: number): Promise<void> {
  let seen = 0;
  await sub.run(async (batch) => {
    seen += batch.messages.length;
    if (seen >= count) sub.stop();
  });
}

describe('inspector: subscriptions', function () {
  this.timeout(60_000);
  const root = tempDir('subscriptions');
  const sourceDir = path.join(root, 'events');
  const offsets = path.join(root, 'offsets');
  let source: BlockingLog;
  let billing: DurableSubscription;
  let inspector: Inspector;
  const url = (p: string, i: Inspector = inspector): string => new URL(p, i.url).toString();
  const byName = async (): Promise<Record<string, SubscriptionSummary>> => {
    const r = await getJson<Subscriptions>(url('/api/subscriptions'));
    expect(r.dir).to.equal(offsets);
    return Object.fromEntries(r.subscriptions.map((s) => [s.name, s]));
  };

  before(async () => {
    source = await openBlocking(sourceDir, { createDirs: true, keyIndex: true });
    await source.publish(messages(30));
    // "mailer" handled 20 and closed; "billing" handled 5 and stays open (it holds its lock).
    const mailer = await openSubscription(source, { name: 'mailer', offsets, batchSize: 10 });
    await consume(mailer, 20);
    await mailer.close();
    billing = await openSubscription(source, { name: 'billing', offsets, batchSize: 5 });
    await consume(billing, 5);
    inspector = await startInspector({ dir: sourceDir, subscriptions: offsets });
  });

  after(async () => {
    await inspector?.close();
    await billing?.close();
    await source?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('lists each subscription with its committed position, when, and its lag behind the source', async () => {
    const info = await getJson<{ subscriptions: string[] }>(url('/api/info'));
    expect(info.subscriptions).to.deep.equal(['billing', 'mailer']);
    const subs = await byName();
    expect(subs.mailer).to.include({ committed: 20, lag: 10, sourceHead: 30 });
    expect(subs.billing).to.include({ committed: 5, lag: 25, sourceHead: 30 });
    expect(subs.mailer!.committedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(subs.mailer!.committedAgo).to.be.within(0, 60);
  });

  it('follows the source and the commits as they happen', async () => {
    await source.publish(messages(5));
    await consume(billing, 10);
    const subs = await byName();
    expect(subs.billing).to.include({ committed: 15, lag: 20, sourceHead: 35 });
    expect(subs.mailer).to.include({ committed: 20, lag: 15 });
  });

  it('shows whether a consumer holds the lock, and which process, without taking it', async function () {
    if (process.platform !== 'linux') {
      const subs = await byName();
      expect(subs.billing!.consumer).to.equal(null);
      return this.skip(); // the lock table is Linux's /proc/locks
    }
    const subs = await byName();
    expect(subs.billing!.consumer).to.deep.equal({ active: true, pid: process.pid });
    expect(subs.mailer!.consumer).to.deep.equal({ active: false, pid: null });
    // Looking never blocks a consumer: "mailer" opens at once (no wait), while the inspector looks again.
    const [again] = await Promise.all([openSubscription(source, { name: 'mailer', offsets }), byName()]);
    expect((await byName()).mailer!.consumer).to.deep.equal({ active: true, pid: process.pid });
    await again.close();
    expect((await byName()).mailer!.consumer).to.deep.equal({ active: false, pid: null });
  });

  it('reports a damaged commit record instead of failing, and an empty list without --subscriptions', async () => {
    const broken = path.join(offsets, 'broken');
    const log = await open(broken, { createDirs: true, keyIndex: true });
    await log.publish([{ key: 'broken', value: 'not json' }]);
    await log.close();
    const subs = await byName();
    expect(subs.broken).to.include({ committed: null, lag: null });
    expect(subs.broken!.problem).to.match(/not JSON \(offset 0\)/);
    expect(subs.mailer).to.include({ committed: 20 });
    const plain = await startInspector({ dir: sourceDir });
    try {
      const r = await request<Subscriptions>(url('/api/subscriptions', plain));
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.equal({ dir: null, subscriptions: [] });
      expect((await getJson<{ subscriptions: string[] }>(url('/api/info', plain))).subscriptions).to.deep.equal([]);
    } finally {
      await plain.close();
    }
  });
});
