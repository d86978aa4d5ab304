// The inspector's JSON API over real HTTP: overview, paging, lookups by key
// and time, the live tail (SSE), projection state, input validation and the
// safety measures (read-only, loopback, CSP, Host and cross-site checks).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startInspector } from '../../src/inspector/index.js';
import type { Inspector } from '../../src/inspector/index.js';
import { compact, open, openBlocking } from '../../src/index.js';
import type { Log } from '../../src/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { formatTimeMicros } from '../../src/log-tools/index.js';
import {
  EVENTS,
  HOSTILE,
  SseClient,
  USERS,
  expectedTotals,
  getJson,
  openWriter,
  request,
  tempDir,
  timeOf,
  totalsProjection,
  writeFixtureLog,
  writeProjectionState,
} from './helpers.js';
import { samplePath } from '../helpers/samples.js';

// Response bodies: each test knows the shape it asked for.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('inspector API', function () {
  this.timeout(60_000);
  const root = tempDir('api');
  const eventsDir = path.join(root, 'events');
  const plainDir = path.join(root, 'plain');
  const stateDir = path.join(root, 'state');
  const LAG = 5;
  let special: Awaited<ReturnType<typeof writeFixtureLog>>;
  let inspector: Inspector;
  const started: Inspector[] = [];
  const clients: SseClient[] = [];
  let writer: Log | undefined;

  const url = (p: string, i: Inspector = inspector): string => new URL(p, i.url).toString();
  async function start(options: Parameters<typeof startInspector>[0]): Promise<Inspector> {
    const i = await startInspector(options);
    started.push(i);
    return i;
  }

  before(async () => {
    special = await writeFixtureLog(eventsDir);
    await writeFixtureLog(plainDir, { keyIndex: false, timeIndex: false });
    await writeProjectionState(eventsDir, stateDir, LAG);
    inspector = await start({ dir: eventsDir, projections: stateDir });
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await writer?.close().catch(() => undefined);
    for (const i of started) await i.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('log views', () => {
    it('lists what it inspects, read-only, on 127.0.0.1', async () => {
      expect(inspector.host).to.equal('127.0.0.1');
      expect(inspector.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const info = await getJson<Json>(url('/api/info'));
      expect(info.readonly).to.equal(true);
      expect(info.kind).to.equal('log');
      expect(info.logs.map((l: Json) => [l.id, l.role])).to.deep.equal([
        ['main', 'log'],
        ['state:totals', 'state'],
        ['dead-letter:totals', 'dead-letter'],
      ]);
      expect(info.projections).to.deep.equal(['totals']);
    });

    it('gives an overview: counts, offsets, segments with versions and indexes, messages over time', async () => {
      const o = await getJson<Json>(url('/api/overview'));
      const total = special.next + LAG;
      expect(o).to.include({
        messages: total,
        firstOffset: 0,
        nextOffset: total,
        keyIndex: true,
        timeIndex: true,
        indexFrom: 'header',
      });
      expect(o.segments).to.be.greaterThan(2);
      expect(o.segmentFiles).to.have.length(o.segments);
      expect(o.segmentFiles[0]).to.include({
        offset: 0,
        file: '00000000000000000000.log',
        logVersion: 'V2',
        indexVersion: 'V2',
        head: false,
      });
      expect(o.segmentFiles.map((f: Json) => f.indexFlags)).to.deep.equal(
        o.segmentFiles.map(() => ({ keys: true, times: true })),
      );
      expect(o.segmentFiles[0].lastOffset).to.equal(o.segmentFiles[1].offset - 1);
      expect(o.segmentFiles.at(-1)).to.include({ head: true });
      expect(o.size).to.equal(o.segmentFiles.reduce((s: number, f: Json) => s + f.logSize + f.indexSize, 0));
      const t = o.timeline;
      expect(t.sampled).to.equal(false);
      expect(t.counts).to.have.length(60);
      expect(t.counts.reduce((a: number, b: number) => a + b, 0)).to.equal(total);
      expect(t.firstTime).to.equal('2024-05-01T12:00:00.000000Z');
    });

    it('pages through messages by offset, from the oldest, the newest, or any offset', async () => {
      const first = await getJson<Json>(url('/api/messages?limit=100'));
      expect(first.messages.map((m: Json) => m.offset)).to.deep.equal([...Array(100).keys()]);
      expect(first).to.include({
        from: 0,
        nextOffset: 100,
        prevOffset: null,
        firstOffset: 0,
        endOffset: special.next + LAG,
      });
      const second = await getJson<Json>(url(`/api/messages?from=${first.nextOffset}&limit=100`));
      expect(second.messages[0].offset).to.equal(100);
      expect(second.prevOffset).to.equal(0);
      const last = await getJson<Json>(url('/api/messages?from=newest&limit=10'));
      expect(last.messages.map((m: Json) => m.offset)).to.deep.equal(
        [...Array(10).keys()].map((i) => special.next + LAG - 10 + i),
      );
      expect(last.nextOffset).to.equal(last.endOffset);
      const m = first.messages[3];
      expect(m.key).to.deep.equal({ kind: 'text', text: 'user-3', bytes: 6 });
      expect(m.value.kind).to.equal('json');
      expect(JSON.parse(m.value.text)).to.deep.equal({ type: 'add', user: 'user-3', n: 3 });
      expect(m.time).to.equal(formatTimeMicros(timeOf(3)));
      expect(m.timeMicros).to.equal(timeOf(3));
    });

    it('shows values as JSON when they parse, text or hex otherwise; tombstones as none', async () => {
      const page = await getJson<Json>(url(`/api/messages?from=${special.hostile}&limit=4`));
      const [hostile, binary, text, tombstone] = page.messages;
      expect(hostile.value).to.deep.equal({ kind: 'text', text: HOSTILE, bytes: Buffer.byteLength(HOSTILE) });
      expect(binary.key).to.deep.equal({ kind: 'hex', text: '0001fe', bytes: 3 });
      expect(binary.value).to.deep.equal({ kind: 'hex', text: 'ff0010', bytes: 3 });
      expect(text.value).to.deep.equal({ kind: 'text', text: 'plain text, not JSON', bytes: 20 });
      expect(tombstone.value).to.deep.equal({ kind: 'none', text: '', bytes: 0 });
      const whole = await getJson<Json>(url('/api/message?offset=5'));
      expect(whole.value.text).to.equal(JSON.stringify({ type: 'add', user: 'user-5', n: 5 }, null, 2));
      expect(whole.size).to.be.greaterThan(whole.value.bytes);
    });

    it('finds messages by key through the key index, newest included, and continues where a page ended', async () => {
      const r = await getJson<Json>(url('/api/key?k=user-2&limit=10'));
      const offsets = [...Array(EVENTS).keys()].filter((i) => i % USERS === 2);
      // The LAG events published after the fixture continue the same keys.
      const latest = Math.max(
        ...[...Array(LAG).keys()].filter((i) => (EVENTS + i) % USERS === 2).map((i) => special.next + i),
        ...offsets,
      );
      expect(r.indexed).to.equal(true);
      expect(r.latest.offset).to.equal(latest);
      expect(r.messages.map((m: Json) => m.offset)).to.deep.equal(offsets.slice(0, 10));
      expect(r.done).to.equal(false);
      const more = await getJson<Json>(url(`/api/key?k=user-2&limit=500&from=${r.nextOffset}`));
      expect(more.messages.map((m: Json) => m.offset)).to.include.members(offsets.slice(10));
      const hex = await getJson<Json>(url('/api/key?k=0001fe&enc=hex'));
      expect(hex.messages.map((m: Json) => m.offset)).to.deep.equal([special.binary]);
      const none = await getJson<Json>(url('/api/key?k=nobody'));
      expect(none).to.include({ latest: null, done: true });
      expect(none.messages).to.deep.equal([]);
    });

    it('finds the first message at or after a time, to the microsecond', async () => {
      const at = (iso: string) => getJson<Json>(url(`/api/time?t=${encodeURIComponent(iso)}`));
      // Exactly at message 10's time, and one microsecond before it, finds it; one after finds 11.
      expect((await at(formatTimeMicros(timeOf(10)))).found.offset).to.equal(10);
      expect((await at(formatTimeMicros(timeOf(10) - 1))).found.offset).to.equal(10);
      expect((await at(formatTimeMicros(timeOf(10) + 1))).found.offset).to.equal(11);
      expect((await at('2024-05-01T00:00:00Z')).found.offset).to.equal(0);
      expect((await getJson<Json>(url(`/api/time?t=${timeOf(20)}`))).found.offset).to.equal(20);
      const future = await at('2200-01-01T00:00:00Z');
      expect(future).to.include({ found: null, done: true });
    });

    it('finds by time, pages and counts after compaction emptied the head (issue 14)', async () => {
      const dir = path.join(root, 'compacted');
      const log = await open(dir, { createDirs: true, keyIndex: true, timeIndex: true });
      await log.publish([
        { key: 'a', value: 'A', timeMicros: timeOf(0) },
        { key: 'b', value: 'B', timeMicros: timeOf(1) },
      ]);
      await log.publish([{ key: 'b', value: null, timeMicros: timeOf(2) }]);
      await compact(log, 0);
      await log.close();
      const i = await start({ dir });
      const byTime = await getJson<Json>(url(`/api/time?t=${encodeURIComponent('2000-01-01T00:00:00Z')}`, i));
      expect(byTime).to.include({ indexed: true, done: true });
      expect(byTime.found).to.include({ offset: 0 });
      expect(
        (await getJson<Json>(url(`/api/time?t=${encodeURIComponent(formatTimeMicros(timeOf(1)))}`, i))).found,
      ).to.equal(null);
      expect(await getJson<Json>(url('/api/overview', i))).to.include({ messages: 1, firstOffset: 0, nextOffset: 3 });
      expect((await getJson<Json>(url('/api/messages', i))).messages.map((m: Json) => m.offset)).to.deep.equal([0]);
    });

    it('reads logs without indexes: key and time lookups by scanning', async () => {
      const i = await start({ dir: plainDir });
      const o = await getJson<Json>(url('/api/overview', i));
      expect(o).to.include({ keyIndex: false, timeIndex: false });
      expect(o.segmentFiles[0].indexFlags).to.deep.equal({ keys: false, times: false });
      const byKey = await getJson<Json>(url('/api/key?k=user-4&limit=500', i));
      expect(byKey.indexed).to.equal(false);
      expect(byKey.messages.map((m: Json) => m.offset)).to.deep.equal(
        [...Array(EVENTS).keys()].filter((n) => n % USERS === 4),
      );
      const byTime = await getJson<Json>(url(`/api/time?t=${encodeURIComponent(formatTimeMicros(timeOf(61) - 5))}`, i));
      expect(byTime).to.include({ indexed: false });
      expect(byTime.found.offset).to.equal(61);
    });

    it('answers bad parameters with 400 and a JSON error naming the parameter', async () => {
      const bad = [
        ['/api/messages?from=abc', /parameter from/],
        ['/api/messages?from=-5', /parameter from/],
        ['/api/messages?limit=0', /parameter limit .* 1 to 500/],
        ['/api/messages?limit=501', /parameter limit/],
        ['/api/messages?limit=1&limit=2', /given 2 times/],
        ['/api/message', /parameter offset is required/],
        ['/api/message?offset=1.5', /parameter offset/],
        ['/api/key', /parameter k is required/],
        ['/api/key?k=zz&enc=hex', /hex digits/],
        ['/api/key?k=a&enc=rot13', /parameter enc/],
        ['/api/key?k=a&from=newest', /parameter from/],
        ['/api/time', /parameter t is required/],
        ['/api/time?t=yesterday', /ISO 8601/],
        ['/api/events?from=oldest', /parameter from/],
        ['/api/projection', /parameter name is required/],
        ['/api/projection?name=totals&values=maybe', /parameter values/],
        [`/api/messages?log=${'x'.repeat(5000)}`, /longer than 4096/],
      ] as const;
      for (const [p, pattern] of bad) {
        const r = await request<Json>(url(p));
        expect(r.status, p).to.equal(400);
        expect(r.headers['content-type'], p).to.match(/^application\/json/);
        expect(r.body.error, p).to.match(pattern);
        // The library's code for a bad argument, whichever layer refused it.
        expect(r.body.code, p).to.equal('ERR_INVALID_ARGUMENT');
      }
    });

    it('answers what is not there with 404 and a JSON error with its code', async () => {
      for (const p of [
        '/api/message?offset=100000',
        '/api/messages?from=100000',
        '/api/overview?log=nope',
        '/api/projection?name=nope',
        '/api/nothing',
        '/etc/passwd',
        '/../../etc/passwd',
      ]) {
        const r = await request<Json>(url(p));
        expect(r.status, p).to.equal(404);
        expect(r.body.error, p).to.be.a('string');
        expect(r.body, p).to.include({ status: 404, code: 'ERR_NOT_FOUND' });
      }
    });

    it('answers a log it cannot open with the status its error code calls for, naming the log and what to do', async () => {
      const file = path.join(root, 'a-file');
      fs.writeFileSync(file, 'not a log');
      const missing = await start({ dir: plainDir, source: path.join(root, 'gone') });
      const gone = await request<Json>(url('/api/overview?log=source', missing));
      expect(gone.status).to.equal(404);
      expect(gone.body.error).to.match(/^no log at .*gone: the directory does not exist; check the path$/);
      expect(gone.body.code).to.equal('ERR_NOT_FOUND');
      const notDir = await start({ dir: plainDir, source: file });
      const wrong = await request<Json>(url('/api/overview?log=source', notDir));
      expect(wrong.status).to.equal(400);
      expect(wrong.body.error).to.match(/a-file is not a directory/);
      expect(wrong.body.code).to.equal('ERR_INVALID_ARGUMENT');
      // The storage refuses index options that contradict the log as ERR_CORRUPTED; for the inspector it is a bad request.
      const mismatch = await start({ dir: plainDir, index: { keyIndex: true, timeIndex: true } });
      const refused = await request<Json>(url('/api/overview', mismatch));
      expect(refused.status).to.equal(400);
      expect(refused.body.error).to.match(/index mismatch: the log was created with (keyIndex|timeIndex) false/);
      expect(refused.body.code).to.equal('ERR_INVALID_ARGUMENT');
    });

    it('answers a corrupted log with 500 and the storage code, naming the damage', async () => {
      const dir = path.join(root, 'bad-crc');
      fs.cpSync(samplePath('v2-bad-crc'), dir, { recursive: true });
      const damaged = await start({ dir });
      const r = await request<Json>(url('/api/messages', damaged));
      expect(r.status).to.equal(500);
      expect(r.body).to.include({ status: 500, code: 'ERR_CORRUPTED' });
      expect(r.body.error).to.match(/crc/);
    });
  });

  describe('live tail', () => {
    it('pushes messages published by a writer beside it, each with its offset as the event id', async () => {
      writer ??= await openWriter(eventsDir);
      const sse = new SseClient(url('/api/events'));
      clients.push(sse);
      const ready = await sse.nth('ready', 1);
      const next = (ready.data as Json).nextOffset as number;
      expect(next).to.equal(await writer.nextOffset());
      await writer.publish([{ key: 'live', value: '{"hello":"tail"}' }]);
      const first = await sse.nth('message', 1);
      expect(first.id).to.equal(String(next));
      expect((first.data as Json).key.text).to.equal('live');
      expect(JSON.parse((first.data as Json).value.text)).to.deep.equal({ hello: 'tail' });
      await writer.publish([
        { key: 'live', value: 'second' },
        { key: 'live', value: 'third' },
      ]);
      const third = await sse.nth('message', 3);
      expect((third.data as Json).offset).to.equal(next + 2);
      expect(sse.status).to.equal(200);
    });

    it('resumes after Last-Event-ID, so a reconnecting page misses nothing', async () => {
      writer ??= await openWriter(eventsDir);
      const end = await writer.nextOffset();
      await writer.publish([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]);
      const sse = new SseClient(url('/api/events'), { 'Last-Event-ID': String(end - 1) });
      clients.push(sse);
      expect(((await sse.nth('message', 1)).data as Json).offset).to.equal(end);
      expect(((await sse.nth('message', 2)).data as Json).offset).to.equal(end + 1);
    });

    it('ends its tails when the inspector closes', async () => {
      const i = await start({ dir: eventsDir });
      const sse = new SseClient(url('/api/events', i));
      clients.push(sse);
      await sse.nth('ready', 1);
      expect(i.tails).to.equal(1);
      await i.close();
      expect(i.tails).to.equal(0);
    });
  });

  describe('projection state', () => {
    it('lists projections with their checkpoint, keys and lag behind the source', async () => {
      const head = (await getJson<Json>(url('/api/overview'))).nextOffset as number;
      const { projections } = await getJson<Json>(url('/api/projections'));
      expect(projections).to.have.length(1);
      const p = projections[0];
      expect(p).to.include({
        name: 'totals',
        kind: 'projection',
        next: special.next,
        generation: 1,
        keys: USERS,
        deadLetters: 0,
        uncommitted: 0,
        stateLog: 'state:totals',
        sourceLog: 'main',
      });
      expect(p.checkpoint).to.include({ projection: 'totals', version: 1, next: special.next });
      // LAG events were published after the projection stopped (and the live tail tests added more).
      expect(p.lag).to.include({ sourceHead: head, events: head - special.next });
      expect(head - special.next).to.be.at.least(LAG);
      expect(p.lag.seconds, 'the oldest unapplied event is from 2024').to.be.greaterThan(3600);
      expect(p.committedAgo).to.be.within(0, 60);
    });

    it("shows every key's current state, searchable by key and in states, paged", async () => {
      const expected = expectedTotals(EVENTS);
      const all = await getJson<Json>(url('/api/projection?name=totals'));
      expect(all.matched).to.equal(USERS);
      expect(all.states.map((s: Json) => s.key)).to.deep.equal([...expected.keys()].sort());
      for (const s of all.states) {
        expect(s.state.kind).to.equal('json');
        expect(JSON.parse(s.state.text)).to.deep.equal(expected.get(s.key));
        expect(s.sourceOffset).to.equal(
          Math.max(...[...Array(EVENTS).keys()].filter((i) => `user-${i % USERS}` === s.key)),
        );
      }
      const one = await getJson<Json>(url('/api/projection?name=totals&q=USER-3'));
      expect(one.matched).to.equal(1);
      expect(one.states.map((s: Json) => s.key)).to.deep.equal(['user-3']);
      const sum = expected.get('user-5')!.sum;
      const inValues = await getJson<Json>(url(`/api/projection?name=totals&q=${sum}&values=1`));
      expect(inValues.states.map((s: Json) => s.key)).to.include('user-5');
      const page1 = await getJson<Json>(url('/api/projection?name=totals&limit=3'));
      expect(page1.states.map((s: Json) => s.key)).to.deep.equal(['user-0', 'user-1', 'user-2']);
      expect(page1.nextAfter).to.equal('user-2');
      const page2 = await getJson<Json>(url(`/api/projection?name=totals&limit=3&after=${page1.nextAfter}`));
      expect(page2.states.map((s: Json) => s.key)).to.deep.equal(['user-3', 'user-4', 'user-5']);
    });

    it('opens a projection runner directory, or a state log given directly', async () => {
      const byRoot = await start({ dir: stateDir, source: eventsDir });
      const info = await getJson<Json>(url('/api/info', byRoot));
      expect(info.kind).to.equal('projections');
      expect(info.logs.map((l: Json) => l.id)).to.deep.equal(['source', 'state:totals', 'dead-letter:totals']);
      const [p] = (await getJson<Json>(url('/api/projections', byRoot))).projections;
      expect(p.lag.events).to.equal((await getJson<Json>(url('/api/overview'))).nextOffset - special.next);

      const stateLog = path.join(stateDir, 'totals', 'gen-1', 'state');
      const direct = await start({ dir: stateLog });
      const [q] = (await getJson<Json>(url('/api/projections', direct))).projections;
      expect(q).to.include({ name: 'totals', keys: USERS, lag: null });
      expect((await getJson<Json>(url('/api/projection?name=totals', direct))).states).to.have.length(USERS);
    });

    it('follows a rebuild to the new generation', async () => {
      const [before] = (await getJson<Json>(url('/api/projections'))).projections;
      expect(before.generation).to.equal(1);
      // The source is written by this suite's writer (which holds its lock): the projection reads it as a follower.
      const source = await openBlocking(eventsDir, {
        readonly: true,
        followWriter: true,
        keyIndex: true,
        timeIndex: true,
      });
      const runner = new ProjectionRunner({ dir: stateDir });
      try {
        const projection = runner.add(totalsProjection(source));
        await projection.rebuild();
        await runner.start();
        await runner.whenRunning({ timeoutMs: 20_000 });
      } finally {
        await runner.close();
        await source.close();
      }
      const [after] = (await getJson<Json>(url('/api/projections'))).projections;
      expect(after).to.include({ generation: 2, keys: USERS, stateLog: 'state:totals' });
      expect(after.lag.events).to.equal(0);
      expect(fs.existsSync(path.join(stateDir, 'totals', 'gen-1'))).to.equal(false);
      const states = await getJson<Json>(url('/api/projection?name=totals'));
      expect(states.states.map((s: Json) => s.key)).to.deep.equal([...expectedTotals(EVENTS).keys()].sort());
      const overview = await getJson<Json>(url('/api/overview?log=state:totals'));
      expect(overview.dir).to.equal(path.join(stateDir, 'totals', 'gen-2', 'state'));
    });
  });

  describe('safety', () => {
    it('sends a strict Content-Security-Policy and no-sniff with the page and the API', async () => {
      for (const p of ['/', '/js/app.js', '/style.css', '/api/info', '/api/nothing']) {
        const r = await request(url(p));
        const csp = r.headers['content-security-policy'] as string;
        expect(csp, p).to.include("default-src 'none'");
        expect(csp, p).to.include("script-src 'self'");
        expect(csp, p).to.include("require-trusted-types-for 'script'");
        expect(csp, p).not.to.include('unsafe-inline');
        expect(r.headers['x-content-type-options'], p).to.equal('nosniff');
        expect(r.headers['x-frame-options'], p).to.equal('DENY');
      }
      const page = await request(url('/'));
      expect(page.headers['content-type']).to.equal('text/html; charset=utf-8');
      expect(page.text).not.to.match(/<script>|\son\w+=|style=/);
    });

    it('serves the page script as ES modules, each import of the entry a served module, and nothing else', async () => {
      const seen = new Set<string>();
      const queue = ['/js/app.js'];
      while (queue.length) {
        const p = queue.shift()!;
        if (seen.has(p)) continue;
        seen.add(p);
        const r = await request(url(p));
        expect(r.status, p).to.equal(200);
        expect(r.headers['content-type'], p).to.equal('text/javascript; charset=utf-8');
        for (const [, spec] of r.text.matchAll(/^import [^'"]*['"]([^'"]+)['"];$/gm))
          queue.push(new URL(spec!, `http://x${p}`).pathname);
      }
      // log-tools' byte formatting is the CLI's, shared with the page (a pure module).
      expect([...seen]).to.include.members([
        '/js/app.js',
        '/js/dom.js',
        '/js/messages.js',
        '/js/live.js',
        '/log-tools/format.js',
      ]);
      const page = await request(url('/'));
      expect(page.text).to.include('<script type="module" src="/js/app.js"></script>');
      const notServed = ['/js/nope.js', '/js/../server.js', '/js/app.ts', '/js/', '/app.js'];
      for (const p of [...notServed, '/log-tools/index.js', '/log-tools/open.js', '/log-tools/format.ts'])
        expect((await request(url(p))).status, p).to.equal(404);
    });

    it('is read-only: anything but GET and HEAD is refused', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        for (const p of ['/api/messages', '/api/info', '/']) {
          const r = await request<Json>(url(p), { method });
          expect(r.status, `${method} ${p}`).to.equal(405);
          expect(r.headers.allow).to.equal('GET, HEAD');
          expect(r.body, `${method} ${p}`).to.include({ status: 405, code: 'ERR_HTTP' });
        }
      }
      const head = await request(url('/api/info'), { method: 'HEAD' });
      expect(head.status).to.equal(200);
    });

    it('answers only requests for its own address (no DNS rebinding) and not cross-site API calls', async () => {
      const r = await request<Json>(url('/api/info'), { headers: { Host: 'evil.example:80' } });
      expect(r.status).to.equal(421);
      expect(r.body).to.include({ status: 421, code: 'ERR_HTTP' });
      expect((await request(url('/api/info'), { headers: { Host: `localhost:${inspector.port}` } })).status).to.equal(
        200,
      );
      const cross = await request<Json>(url('/api/info'), { headers: { 'Sec-Fetch-Site': 'cross-site' } });
      expect(cross.status).to.equal(403);
      expect(cross.body).to.include({ status: 403, code: 'ERR_HTTP' });
      expect(cross.headers['access-control-allow-origin']).to.equal(undefined);
    });
  });
});
