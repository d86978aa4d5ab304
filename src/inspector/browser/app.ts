/**
 * The inspector page's entry (served as /js/app.js, loaded with
 * <script type="module">): the tabs, the log chooser, and the start from
 * /api/info. Each tab lives in its own module.
 */
import { api, fail, state } from './api.js';
import type { Info } from './api-types.js';
import { button, byId, el, select, show } from './dom.js';
import { clearLive, livePaused, liveWanted, startLive, wireLive } from './live.js';
import { browsing, loadPage, wireMessages } from './messages.js';
import { loadOverview } from './overview.js';
import { loadProjection, wireProjections } from './projections.js';
import { loadSubscriptions, wireSubscriptions } from './subscriptions.js';

/** The overview refreshes itself while it is shown (and the page visible). */
const OVERVIEW_REFRESH_MS = 5000;
let overviewTimer: ReturnType<typeof setInterval> | undefined;

function selectTab(wanted: string): void {
  const tab = document.getElementById(`tab-${wanted}`) ? wanted : 'overview';
  state.tab = tab;
  for (const b of document.querySelectorAll('#tabs button'))
    b.setAttribute('aria-selected', b.getAttribute('data-tab') === tab ? 'true' : 'false');
  for (const s of document.querySelectorAll<HTMLElement>('section.tab')) show(s, s.id === `tab-${tab}`);
  history.replaceState(null, '', `#${tab}`);
  clearInterval(overviewTimer);
  if (tab === 'overview') {
    loadOverview();
    overviewTimer = setInterval(() => {
      if (!document.hidden) loadOverview();
    }, OVERVIEW_REFRESH_MS);
  } else if (tab === 'messages') {
    if (!browsing.page) loadPage('oldest');
  } else if (tab === 'live') {
    if (!liveWanted() && !livePaused()) startLive();
  } else if (tab === 'projections') {
    loadProjection(true);
  } else if (tab === 'subscriptions') {
    loadSubscriptions();
  }
}

function chooseLog(id: string | null): void {
  const info = state.info;
  if (!info) return;
  state.log = info.logs.find((l) => l.id === id) ?? info.logs[0] ?? null;
  byId('log-dir').textContent = state.log ? state.log.dir : info.dir;
  browsing.page = null;
  browsing.highlight = null;
  clearLive();
  if (liveWanted() || state.tab === 'live') startLive();
  selectTab(state.tab);
}

function wire(): void {
  for (const b of document.querySelectorAll('#tabs button'))
    b.addEventListener('click', () => selectTab(b.getAttribute('data-tab') ?? 'overview'));
  select('log-select').addEventListener('change', () => chooseLog(select('log-select').value));
  button('ov-refresh').addEventListener('click', loadOverview);
  wireMessages();
  wireLive();
  wireProjections();
  wireSubscriptions();
}

async function start(): Promise<void> {
  wire();
  const info = await api<Info>('/api/info');
  state.info = info;
  const logs = select('log-select');
  for (const l of info.logs) logs.appendChild(el('option', { value: l.id, text: l.label }));
  const projections = select('p-select');
  for (const name of info.projections) projections.appendChild(el('option', { value: name, text: name }));
  show(button('tab-button-projections'), info.projections.length > 0);
  show(button('tab-button-subscriptions'), info.subscriptions.length > 0);
  byId('footer').textContent = `klevdb ${info.version} \u00b7 ${info.dir} \u00b7 read-only`;
  const tab = location.hash.replace(/^#/, '');
  state.tab = tab || (info.logs.length ? 'overview' : 'projections');
  document.body.setAttribute('data-ready', 'true');
  chooseLog(info.logs[0]?.id ?? null);
}

start().catch(fail);
