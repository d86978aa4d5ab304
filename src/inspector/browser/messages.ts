/** The Messages tab: pages by offset, finding by key and by time, and one message in full. */
import { api, fail, logParams, ok, state } from './api.js';
import type { KeyResult, Page, ShownMessage, TimeResult } from './api-types.js';
import { button, byId, clear, el, fill, input, select, show, tableBody } from './dom.js';
import { count } from './format.js';
import { shown } from './widgets.js';

/** Where the Messages tab is: the page it browses, or the key or time search it shows. */
export const browsing = {
  page: null as Page | null,
  mode: 'browse' as 'browse' | 'key' | 'time',
  keyQuery: null as { messages: ShownMessage[]; nextOffset: number } | null,
  timeQuery: null as TimeResult | null,
  /** The offset to mark in the table (found by key, time or offset). */
  highlight: null as number | null,
};

/** A message as a table row; a click shows it in full. */
export function messageRow(m: ShownMessage, highlight: boolean): HTMLTableRowElement {
  const row = el(
    'tr',
    { 'data-offset': m.offset, class: highlight ? 'highlight' : null },
    el('td', { class: 'num', text: m.offset }),
    el('td', { class: 'time', text: m.time.replace('T', ' ') }),
    el('td', { class: 'key' }, shown(m.key, '(no key)', true)),
    el('td', { class: 'value' }, shown(m.value, '(tombstone)')),
  );
  row.addEventListener('click', () => openDetail(m.offset));
  return row;
}

function setMessages(messages: ShownMessage[], caption: string): void {
  const body = clear(tableBody('m-table'));
  for (const m of messages) body.appendChild(messageRow(m, m.offset === browsing.highlight));
  if (!messages.length) body.appendChild(el('tr', null, el('td', { colspan: 4, class: 'muted', text: 'no messages' })));
  byId('m-caption').textContent = caption;
}

/** Shows the page starting at `from`: an offset, 'oldest' or 'newest'. */
export function loadPage(from: number | string): void {
  if (!state.log) return;
  browsing.mode = 'browse';
  show(button('m-more'), false);
  show(button('m-back'), false);
  api<Page>('/api/messages', logParams({ from, limit: state.limit }))
    .then((p) => {
      ok();
      browsing.page = p;
      const first = p.messages[0];
      const last = p.messages[p.messages.length - 1];
      const caption =
        first && last
          ? `Offsets ${count(first.offset)} \u2026 ${count(last.offset)} (${p.messages.length} messages) of ` +
            `${p.firstOffset === null ? '\u2013' : count(p.firstOffset)} \u2026 ${count(p.endOffset - 1)}`
          : `No messages from offset ${count(p.from)} (the log ends at ${count(p.endOffset)})`;
      setMessages(p.messages, caption);
      button('m-prev').disabled = p.prevOffset === null;
      button('m-oldest').disabled = p.prevOffset === null;
      button('m-next').disabled = p.nextOffset >= p.endOffset;
      button('m-newest').disabled = p.nextOffset >= p.endOffset;
    })
    .catch(fail);
}

function findKey(more: boolean): void {
  const k = input('m-key').value;
  if (!k) {
    fail(new Error('enter a key to find'));
    return;
  }
  const enc = select('m-key-enc').value;
  const from = more && browsing.keyQuery ? browsing.keyQuery.nextOffset : 'oldest';
  api<KeyResult>('/api/key', logParams({ k, enc, from, limit: state.limit }))
    .then((r) => {
      ok();
      browsing.mode = 'key';
      const shownBefore = more && browsing.keyQuery ? browsing.keyQuery.messages : [];
      const all = shownBefore.concat(r.messages);
      browsing.keyQuery = { messages: all, nextOffset: r.nextOffset };
      browsing.highlight = r.latest ? r.latest.offset : null;
      const key = `\u201c${r.key.text}\u201d`;
      const caption = all.length
        ? `Messages with key ${key}: ${all.length}${r.done ? '' : '+'}` +
          (r.latest ? `, the newest at offset ${count(r.latest.offset)}` : '') +
          (r.indexed ? '' : ' (no key index: found by reading the log)')
        : r.done
          ? `No message with key ${key}`
          : `No message with key ${key} up to offset ${count(r.nextOffset)} yet`;
      setMessages(all, caption);
      show(button('m-more'), !r.done);
      show(button('m-back'), true);
    })
    .catch(fail);
}

function findTime(from: number | null): void {
  const time = input('m-time');
  const t = time.value.trim() || time.getAttribute('placeholder');
  api<TimeResult>('/api/time', logParams({ t, from: from ?? 'oldest' }))
    .then((r) => {
      ok();
      if (r.found) {
        browsing.highlight = r.found.offset;
        browsing.timeQuery = null;
        loadPage(r.found.offset);
        byId('m-caption').textContent = '';
        return;
      }
      browsing.mode = 'time';
      browsing.timeQuery = r;
      setMessages(
        [],
        r.done
          ? `No message at or after ${r.time}`
          : `No message at or after ${r.time} up to offset ${count(r.nextOffset)} yet (no time index: the log is read in steps)`,
      );
      show(button('m-more'), !r.done);
      show(button('m-back'), true);
    })
    .catch(fail);
}

function openDetail(offset: number): void {
  api<ShownMessage>('/api/message', logParams({ offset }))
    .then((m) => {
      const box = byId('m-detail');
      const close = el('button', { type: 'button', text: 'Close' });
      close.addEventListener('click', () => show(box, false));
      fill(
        box,
        el('h3', null, el('span', { text: `Message at offset ${m.offset}` }), close),
        el(
          'dl',
          null,
          el('dt', { text: 'time' }),
          el('dd', { text: m.time }),
          el('dt', { text: 'key' }),
          el('dd', null, shown(m.key, '(no key)', true)),
          el('dt', { text: 'value' }),
          el('dd', {
            text: m.value.kind === 'none' ? '(tombstone)' : `${m.value.kind}, ${count(m.value.bytes)} bytes`,
          }),
          el('dt', { text: 'size in log' }),
          el('dd', { text: `${count(m.size)} bytes` }),
        ),
        m.value.kind === 'none' ? null : el('pre', { class: 'value-full', text: m.value.text }),
      );
      show(box, true);
      box.scrollIntoView({ block: 'nearest' });
    })
    .catch(fail);
}

export function wireMessages(): void {
  const reload = (): void => loadPage(browsing.page ? browsing.page.from : 'oldest');
  button('m-oldest').addEventListener('click', () => {
    browsing.highlight = null;
    loadPage('oldest');
  });
  button('m-newest').addEventListener('click', () => {
    browsing.highlight = null;
    loadPage('newest');
  });
  button('m-prev').addEventListener('click', () => {
    if (browsing.page && browsing.page.prevOffset !== null) loadPage(browsing.page.prevOffset);
  });
  button('m-next').addEventListener('click', () => {
    if (browsing.page) loadPage(browsing.page.nextOffset);
  });
  select('m-limit').addEventListener('change', () => {
    state.limit = Number(select('m-limit').value);
    reload();
  });
  byId('m-goto').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input('m-offset').value.trim();
    browsing.highlight = /^\d+$/.test(v) ? Number(v) : null;
    loadPage(v || 'oldest');
  });
  byId('m-key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    findKey(false);
  });
  byId('m-time-form').addEventListener('submit', (e) => {
    e.preventDefault();
    findTime(null);
  });
  button('m-more').addEventListener('click', () => {
    if (browsing.mode === 'key') findKey(true);
    else if (browsing.mode === 'time' && browsing.timeQuery) findTime(browsing.timeQuery.nextOffset);
  });
  button('m-back').addEventListener('click', reload);
}
