/** The Overview tab: counts, offsets, indexes, the chart and the segment files. */
import { api, fail, logParams, ok, state } from './api.js';
import type { Overview, SegmentView } from './api-types.js';
import { chart } from './chart.js';
import { byId, clear, el, fill, input, tableBody } from './dom.js';
import { formatSize } from '../../log-tools/format.js';
import { count, formatBucket } from './format.js';
import { card } from './widgets.js';

export function loadOverview(): void {
  if (!state.log) return;
  const asked = state.log.id;
  api<Overview>('/api/overview', logParams())
    .then((o) => {
      if (!state.log || state.log.id !== asked) return;
      ok();
      renderOverview(o);
    })
    .catch(fail);
}

function indexText(o: Overview): string {
  const kinds = [o.keyIndex ? 'key' : null, o.timeIndex ? 'time' : null].filter(Boolean);
  return kinds.length ? kinds.join(' + ') : 'none';
}

function flagsText(s: SegmentView): string {
  if (!s.indexFlags) return s.indexVersion === 'V1' ? 'not recorded (V1)' : '\u2013';
  const kinds = [s.indexFlags.keys ? 'keys' : null, s.indexFlags.times ? 'times' : null].filter(Boolean);
  return kinds.length ? kinds.join(' + ') : 'none';
}

function renderOverview(o: Overview): void {
  const t = o.timeline;
  fill(
    byId('ov-cards'),
    card('Messages', count(o.messages)),
    card('Size', formatSize(o.size), `${count(o.size)} bytes`),
    card(
      'Offsets',
      o.firstOffset === null ? '\u2013' : `${count(o.firstOffset)} \u2026 ${count(o.nextOffset - 1)}`,
      `next offset ${count(o.nextOffset)}`,
    ),
    card('Segments', count(o.segments)),
    card('Indexes', indexText(o), `from ${o.indexFrom}`),
    card(
      'First message',
      t.firstTime ? t.firstTime.slice(0, 10) : '\u2013',
      t.firstTime ? t.firstTime.slice(11) : null,
    ),
    card('Last message', t.lastTime ? t.lastTime.slice(0, 10) : '\u2013', t.lastTime ? t.lastTime.slice(11) : null),
  );
  const time = input('m-time');
  if (t.firstTime && !time.value) time.setAttribute('placeholder', t.firstTime);
  byId('ov-chart-note').textContent = t.counts.length
    ? `${t.sampled ? 'estimated from a sample of the messages' : 'every message counted'}, ${formatBucket(t.bucketMicros)} per bar`
    : '';
  fill(byId('ov-chart'), chart(t));
  const body = clear(tableBody('ov-segments'));
  for (const s of o.segmentFiles) {
    const range = s.head
      ? `${count(s.offset)} \u2026 (head)`
      : `${count(s.offset)} \u2026 ${count(s.lastOffset ?? s.offset)}`;
    body.appendChild(
      el(
        'tr',
        null,
        el('td', null, el('code', { text: s.file })),
        el('td', { text: range }),
        el('td', { text: s.logVersion || '\u2013' }),
        el('td', { class: 'num', text: formatSize(s.logSize) }),
        el('td', { class: s.indexVersion ? null : 'warn', text: s.indexVersion || 'missing' }),
        el('td', { text: flagsText(s) }),
        el('td', { class: 'num', text: s.indexSize === null ? '\u2013' : formatSize(s.indexSize) }),
      ),
    );
  }
}
