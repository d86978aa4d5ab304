// End to end in headless Chromium (playwright-core, Debian's chromium; skipped
// with a reason where it is missing, required in CI):
// the overview of a real log, paging, find by key and by time, the live tail
// while a writer publishes, hostile values shown as text, projection state,
// durable subscriptions.
// The overview's screenshot is the CI artifact test-output/inspector-overview.png.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startInspector } from '../../src/inspector/index.js';
import type { Inspector } from '../../src/inspector/index.js';
import { openBlocking, type Log } from '../../src/index.js';
import { openSubscription } from '../../src/streams/index.js';
import { formatTimeMicros } from '../../src/log-tools/index.js';
import { requireChromium } from '../helpers/external.js';
import {
  EVENTS,
  HOSTILE,
  USERS,
  expectedTotals,
  getJson,
  openWriter,
  tempDir,
  timeOf,
  writeFixtureLog,
  writeProjectionState,
} from './helpers.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SCREENSHOT = path.join(REPO, 'test-output', 'inspector-overview.png');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Response bodies: each test knows the shape it asked for.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('inspector in a browser', function () {
  this.timeout(60_000);
  const root = tempDir('browser');
  const eventsDir = path.join(root, 'events');
  const stateDir = path.join(root, 'state');
  const offsetsDir = path.join(root, 'offsets');
  const LAG = 6;
  let special: Awaited<ReturnType<typeof writeFixtureLog>>;
  let inspector: Inspector | undefined;
  let browser: Browser | undefined;
  let writer: Log | undefined;
  let page: Page;
  /** Console errors, uncaught errors and CSP violations of the page: there must be none. */
  const problems: string[] = [];

  const rows = (table: string) => page.locator(`${table} tbody tr[data-offset]`);
  const offsets = async (table: string) =>
    await rows(table).evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-offset'))));

  before(async function () {
    const executablePath = requireChromium(this);
    special = await writeFixtureLog(eventsDir);
    await writeProjectionState(eventsDir, stateDir, LAG);
    // A durable subscription that starts at offset 100 (its start is committed at once).
    const source = await openBlocking(eventsDir, { keyIndex: true, timeIndex: true, rollover: 2048 });
    await (await openSubscription(source, { name: 'mailer', offsets: offsetsDir, start: { offset: 100 } })).close();
    await source.close();
    writer = await openWriter(eventsDir);
    inspector = await startInspector({ dir: eventsDir, projections: stateDir, subscriptions: offsetsDir });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });
    await page.goto(inspector.url);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await inspector?.close().catch(() => undefined);
    await writer?.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('loads the overview of a real log: counts, segments, a chart of messages over time', async () => {
    const o = await getJson<Json>(new URL('/api/overview', inspector!.url).toString());
    await page
      .locator('#ov-segments tbody tr')
      .nth(o.segments - 1)
      .waitFor();
    expect(await page.locator('#ov-segments tbody tr').count()).to.equal(o.segments);
    const cards = await page.locator('#ov-cards .card').allInnerTexts();
    expect(cards.join('\n')).to.include(`MESSAGES\n${o.messages}`);
    expect(cards.join('\n')).to.include('key + time');
    expect(await page.locator('#ov-segments tbody tr').first().innerText()).to.match(
      /00000000000000000000\.log\s+0 … \d+\s+V2\s+[\d.]+ KiB\s+V2\s+keys \+ times/,
    );
    const bars = page.locator('#ov-chart svg rect.bar');
    expect(await bars.count()).to.equal(60);
    const counted = await bars.evaluateAll((rs) =>
      rs.reduce((sum, r) => sum + Number(r.getAttribute('data-count')), 0),
    );
    expect(counted).to.equal(o.messages);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).to.be.greaterThan(10_000);
  });

  it('pages through messages: next, previous, newest, oldest, go to offset', async () => {
    await page.click('[data-tab=messages]');
    await page.locator('#m-table tbody tr[data-offset="0"]').waitFor();
    expect(await offsets('#m-table')).to.deep.equal([...Array(50).keys()]);
    expect(await page.isDisabled('#m-prev')).to.equal(true);
    await page.click('#m-next');
    await page.locator('#m-table tbody tr[data-offset="50"]').waitFor();
    expect((await offsets('#m-table'))[0]).to.equal(50);
    await page.click('#m-prev');
    await page.locator('#m-table tbody tr[data-offset="0"]').waitFor();
    await page.click('#m-newest');
    const end = special.next + LAG;
    await page.locator(`#m-table tbody tr[data-offset="${end - 1}"]`).waitFor();
    expect((await offsets('#m-table')).at(-1)).to.equal(end - 1);
    expect(await page.isDisabled('#m-next')).to.equal(true);
    await page.click('#m-oldest');
    await page.locator('#m-table tbody tr[data-offset="0"]').waitFor();
    await page.fill('#m-offset', '120');
    await page.press('#m-offset', 'Enter');
    await page.locator('#m-table tbody tr.highlight[data-offset="120"]').waitFor();
    expect((await offsets('#m-table'))[0]).to.equal(120);
    expect(await page.innerText('#m-caption')).to.match(/^Offsets 120 … 169 \(50 messages\)/);
    // A row opens the whole message, its JSON indented.
    await page.click('#m-table tbody tr[data-offset="121"]');
    await page.locator('#m-detail h3', { hasText: 'offset 121' }).waitFor();
    const detail = await page.locator('#m-detail pre.value-full').innerText();
    expect(JSON.parse(detail)).to.deep.equal({ type: 'add', user: `user-${121 % USERS}`, n: 121 });
    expect(detail).to.include('\n  "type"');
  });

  it('finds messages by key, marking the newest', async () => {
    await page.selectOption('#m-limit', '20');
    await page.locator('#m-table tbody tr[data-offset]').nth(19).waitFor();
    await page.fill('#m-key', 'user-3');
    await page.click('#m-key-form button[type=submit]');
    await page.locator('#m-caption', { hasText: 'Messages with key “user-3”' }).waitFor();
    const keys = await page.locator('#m-table tbody tr[data-offset] td.key').allInnerTexts();
    expect(keys.length).to.equal(20);
    expect(new Set(keys)).to.deep.equal(new Set(['user-3']));
    expect(await page.isVisible('#m-more')).to.equal(true);
    await page.click('#m-more');
    const all = [...Array(special.next + LAG).keys()].filter((i) =>
      i < EVENTS ? i % USERS === 3 : i >= special.next && (EVENTS + i - special.next) % USERS === 3,
    );
    await page.locator(`#m-table tbody tr[data-offset="${all.at(-1)}"]`).waitFor();
    expect(await offsets('#m-table')).to.deep.equal(all);
    expect(await page.locator('#m-table tbody tr.highlight').getAttribute('data-offset')).to.equal(String(all.at(-1)));
  });

  it('finds the first message at or after a time', async () => {
    await page.fill('#m-time', formatTimeMicros(timeOf(77) - 3));
    await page.click('#m-time-form button[type=submit]');
    await page.locator('#m-table tbody tr.highlight[data-offset="77"]').waitFor();
    expect((await offsets('#m-table'))[0]).to.equal(77);
    expect(await page.locator('#m-table tbody tr.highlight td.time').innerText()).to.equal(
      formatTimeMicros(timeOf(77)).replace('T', ' '),
    );
  });

  it('shows a value holding <script> (and other HTML) as text: nothing runs', async () => {
    await page.fill('#m-offset', String(special.hostile));
    await page.press('#m-offset', 'Enter');
    const row = page.locator(`#m-table tbody tr[data-offset="${special.hostile}"]`);
    await row.waitFor();
    expect(await row.locator('td.value pre').innerText()).to.equal(HOSTILE);
    await row.click();
    await page.locator('#m-detail h3', { hasText: `offset ${special.hostile}` }).waitFor();
    expect(await page.locator('#m-detail pre.value-full').innerText()).to.equal(HOSTILE);
    expect(await page.evaluate('window.__pwned')).to.equal(undefined);
    expect(await page.locator('main img, main script').count()).to.equal(0);
    expect(await page.locator('script').count()).to.equal(1);
    // Binary keys and values as hex, a tombstone as such.
    expect(await page.locator(`#m-table tbody tr[data-offset="${special.binary}"] td.key`).innerText()).to.match(
      /hex\s*0001fe/i,
    );
    expect(await page.locator(`#m-table tbody tr[data-offset="${special.tombstone}"] td.value`).innerText()).to.equal(
      '(tombstone)',
    );
  });

  it('shows messages published during the test in the live tail, hostile ones as text', async () => {
    await page.click('[data-tab=live]');
    await page.locator('#l-table[data-ready="true"]').waitFor();
    const next = await writer!.nextOffset();
    const evil = '<img src=x onerror="window.__pwned = 3"><script>window.__pwned = 4</script>';
    await writer!.publish([
      { key: 'live-key', value: JSON.stringify({ hello: 'from the test', at: Date.now() }) },
      { key: '<b>bold key</b>', value: evil },
    ]);
    await page.locator(`#l-table tbody tr[data-offset="${next + 1}"]`).waitFor({ timeout: 15_000 });
    expect(await offsets('#l-table')).to.deep.equal([next + 1, next]);
    expect(await page.locator(`#l-table tbody tr[data-offset="${next}"] td.value`).innerText()).to.include(
      '"hello":"from the test"',
    );
    expect(await page.locator(`#l-table tbody tr[data-offset="${next + 1}"] td.key`).innerText()).to.equal(
      '<b>bold key</b>',
    );
    expect(await page.locator(`#l-table tbody tr[data-offset="${next + 1}"] td.value pre`).innerText()).to.equal(evil);
    expect(await page.locator('#l-table b, #l-table img, #l-table script').count()).to.equal(0);
    expect(await page.evaluate('window.__pwned')).to.equal(undefined);
    expect(await page.innerText('#l-status')).to.include('2 received');
  });

  it("shows a projection's states, searchable, with its checkpoint and lag", async () => {
    await page.click('[data-tab=projections]');
    await page
      .locator('#p-table tbody tr[data-key]')
      .nth(USERS - 1)
      .waitFor();
    const expected = expectedTotals(EVENTS);
    const keys = await page
      .locator('#p-table tbody tr[data-key]')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
    expect(keys).to.deep.equal([...expected.keys()].sort());
    const state = await page.locator('#p-table tbody tr[data-key="user-4"] td.value pre').innerText();
    expect(JSON.parse(state)).to.deep.equal(expected.get('user-4'));
    const cards = (await page.locator('#p-cards .card').allInnerTexts()).join('\n');
    expect(cards).to.include(`KEYS\n${USERS}`);
    expect(cards).to.include(`CHECKPOINT\nnext ${special.next}`);
    // The events published after the projection stopped, and the two the live tail test added.
    expect(cards).to.include(`LAG\n${LAG + 2} events`);
    await page.fill('#p-q', 'USER-6');
    await page.press('#p-q', 'Enter');
    await page.locator('#p-caption', { hasText: '1 of 7 keys match' }).waitFor();
    expect(await page.locator('#p-table tbody tr[data-key]').count()).to.equal(1);
    await page.fill('#p-q', String(expected.get('user-2')!.sum));
    await page.check('#p-values');
    await page.press('#p-q', 'Enter');
    await page.locator('#p-caption', { hasText: 'states found containing' }).waitFor();
    expect(
      await page
        .locator('#p-table tbody tr[data-key]')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key'))),
    ).to.include('user-2');
  });

  it('shows the durable subscriptions: committed position, lag and consumer', async () => {
    await page.click('[data-tab=subscriptions]');
    const row = page.locator('#s-table tbody tr[data-name="mailer"]');
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    const { subscriptions } = await getJson<Json>(new URL('/api/subscriptions', inspector!.url).toString());
    expect(cells[0]).to.equal('mailer');
    expect(cells[1]).to.equal('100');
    expect(cells[2]).to.equal(String(subscriptions[0].lag)).and.not.equal('0');
    expect(cells[3]).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}Z \(/);
    expect(cells[4]).to.equal(process.platform === 'linux' ? 'none' : 'unknown');
    expect(await page.locator('#s-caption').innerText()).to.equal(`1 subscription with offsets in ${offsetsDir}`);
  });

  it('ran without console errors, script errors or CSP violations', () => {
    expect(problems).to.deep.equal([]);
  });
});
