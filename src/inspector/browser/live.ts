/** The Live tail tab: messages as a writer appends them, pushed by the server (server-sent events). */
import { state } from './api.js';
import type { ShownMessage, TailFailed, TailReady } from './api-types.js';
import { button, byId, clear, show, tableBody } from './dom.js';
import { count } from './format.js';
import { messageRow } from './messages.js';

/** Rows kept in the table; older ones drop off the bottom. */
const MAX_ROWS = 500;

const tail = {
  source: null as EventSource | null,
  paused: false,
  received: 0,
};

/** Whether a tail is open (or was asked for and not paused), for when the log changes. */
export function liveWanted(): boolean {
  return tail.source !== null;
}

export function livePaused(): boolean {
  return tail.paused;
}

function status(text: string): void {
  byId('l-status').textContent = text;
}

export function startLive(): void {
  stopLive();
  const log = state.log;
  if (!log) return;
  const source = new EventSource(`/api/events?${new URLSearchParams({ log: log.id, from: 'newest' }).toString()}`);
  tail.source = source;
  tail.paused = false;
  button('l-toggle').textContent = 'Pause';
  status('connecting\u2026');
  source.addEventListener('ready', (e) => {
    const r = JSON.parse((e as MessageEvent<string>).data) as TailReady;
    status(`following ${log.label} from offset ${count(r.nextOffset)} \u2014 ${tail.received} received`);
    byId('l-table').setAttribute('data-ready', 'true');
    show(byId('live-dot'), true);
  });
  source.addEventListener('message', (e) => {
    const m = JSON.parse(e.data as string) as ShownMessage;
    tail.received++;
    const body = tableBody('l-table');
    const row = messageRow(m, false);
    row.classList.add('fresh');
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
    status(`following ${log.label} \u2014 ${tail.received} received, newest offset ${count(m.offset)}`);
  });
  source.addEventListener('failed', (e) => {
    status(`stopped: ${(JSON.parse((e as MessageEvent<string>).data) as TailFailed).error}`);
  });
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.OPEN) status('disconnected; reconnecting\u2026');
  });
}

export function stopLive(): void {
  tail.source?.close();
  tail.source = null;
  byId('l-table').removeAttribute('data-ready');
  show(byId('live-dot'), false);
}

/** Empties the table and the count (another log was chosen, or Clear). */
export function clearLive(): void {
  clear(tableBody('l-table'));
  tail.received = 0;
}

export function wireLive(): void {
  button('l-toggle').addEventListener('click', () => {
    if (tail.source) {
      stopLive();
      tail.paused = true;
      button('l-toggle').textContent = 'Resume';
      status('paused');
    } else {
      startLive();
    }
  });
  button('l-clear').addEventListener('click', clearLive);
}
