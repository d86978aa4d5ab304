/** The Subscriptions tab: each durable subscription's committed position, lag and consumer. */
import { api, fail, ok } from './api.js';
import type { ConsumerView, SubscriptionSummary, Subscriptions } from './api-types.js';
import { button, byId, clear, el, tableBody } from './dom.js';
import { ago, count } from './format.js';

function consumer(c: ConsumerView | null): string {
  if (c === null) return 'unknown';
  if (!c.active) return 'none';
  return c.pid === null ? 'active' : `active (pid ${c.pid})`;
}

function render(dir: string | null, subscriptions: SubscriptionSummary[]): void {
  const body = tableBody('s-table');
  clear(body);
  for (const s of subscriptions) {
    const committedAt = s.committedAt ? `${s.committedAt.replace('T', ' ')} (${ago(s.committedAgo)})` : '\u2013';
    body.appendChild(
      el(
        'tr',
        { 'data-name': s.name },
        el('td', null, el('code', { text: s.name })),
        el('td', { class: 'num', text: s.committed === null ? '\u2013' : count(s.committed) }),
        el('td', { class: 'num', text: s.lag === null ? '\u2013' : count(s.lag) }),
        el('td', { class: 'time', text: s.problem ? `cannot be read: ${s.problem}` : committedAt }),
        el('td', { text: consumer(s.consumer) }),
      ),
    );
  }
  if (!subscriptions.length) body.appendChild(el('tr', null, el('td', { colspan: 5, class: 'muted', text: 'none' })));
  const n = subscriptions.length;
  byId('s-caption').textContent =
    `${count(n)} subscription${n === 1 ? '' : 's'}${dir ? ` with offsets in ${dir}` : ''}`;
}

export function loadSubscriptions(): void {
  api<Subscriptions>('/api/subscriptions')
    .then((r) => {
      ok();
      render(r.dir, r.subscriptions);
    })
    .catch(fail);
}

export function wireSubscriptions(): void {
  button('s-refresh').addEventListener('click', loadSubscriptions);
}
