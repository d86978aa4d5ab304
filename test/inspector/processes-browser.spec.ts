// The Projections tab in headless Chromium for a runner's reactor and
// workflow (skipped with a reason where Chromium is missing, required in
// CI): each shown as what it is, a workflow with its instances.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openEventStore, type EventStore } from '../../src/eventstore/index.js';
import { startInspector, type Inspector } from '../../src/inspector/index.js';
import { workflowEvents } from '../../src/processes/index.js';
import { requireChromium } from '../helpers/external.js';
import { tempDir } from './helpers.js';
import { Placed, runProcesses } from './process-fixture.js';

describe('inspector in a browser: reactors and workflows', function () {
  this.timeout(60_000);
  const root = tempDir('processes-browser');
  const eventsDir = path.join(root, 'events');
  const stateDir = path.join(root, 'state');
  let store: EventStore | undefined;
  let inspector: Inspector | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    const executablePath = requireChromium(this);
    store = (await openEventStore(eventsDir, { events: [Placed, ...workflowEvents] })) as unknown as EventStore;
    await runProcesses(store, stateDir);
    inspector = await startInspector({ dir: eventsDir, projections: stateDir });
    browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(inspector.url);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await inspector?.close().catch(() => undefined);
    await store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("shows a workflow's checkpoint and its instances, and a reactor's dead letters", async () => {
    await page.click('[data-tab=projections]');
    await page.selectOption('#p-select', 'orders');
    await page.locator('#p-table tbody tr[data-key="o-3"]').waitFor();
    const ids = await page
      .locator('#p-table tbody tr[data-key]')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
    expect(ids).to.deep.equal(['o-0', 'o-1', 'o-2', 'o-3']);
    expect(await page.locator('#p-table tbody tr[data-key="o-1"] code').innerText()).to.equal('workflow-orders-o-1');
    expect(await page.locator('#p-table tbody tr[data-key="o-1"] td.value').innerText()).to.include(
      'WorkflowInputRecorded',
    );
    expect(await page.locator('#p-caption').innerText()).to.include('4 instances');
    expect((await page.locator('#p-cards .card').allInnerTexts()).join('\n')).to.include('a workflow');
    await page.selectOption('#p-select', 'mailer');
    await page.locator('#p-cards .card', { hasText: 'a reactor' }).waitFor();
    expect((await page.locator('#p-cards .card').allInnerTexts()).join('\n')).to.match(/DEAD LETTERS\n1/);
    expect(await page.locator('#p-table tbody tr[data-key]').count()).to.equal(0);
    expect(problems).to.deep.equal([]);
  });
});
