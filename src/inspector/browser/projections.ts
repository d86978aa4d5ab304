/** The Projections tab: a projection's checkpoint, lag and every key's state, searchable and paged; a workflow's instances. */
import { api, fail, ok } from './api.js';
import type { ProjectionStates, WorkflowInstances } from './api-types.js';
import { button, byId, clear, el, fill, input, select, show, tableBody } from './dom.js';
import { ago, count, duration } from './format.js';
import { card, shown } from './widgets.js';

/** Where the next page of states starts (after this key); null for the first page. */
let after: string | null = null;

export function loadProjection(fresh: boolean): void {
  const name = select('p-select').value;
  if (!name) return;
  if (fresh) after = null;
  const q = input('p-q').value;
  const values = input('p-values').checked;
  api<ProjectionStates>('/api/projection', { name, q, values: values ? 1 : 0, after, limit: 100 })
    .then(async (p) => {
      // A workflow keeps no states: its instances are listed instead.
      const instances =
        p.kind === 'workflow' ? await api<WorkflowInstances>('/api/workflow', { name, after, limit: 100 }) : undefined;
      ok();
      renderProjection(p, !fresh, instances);
    })
    .catch(fail);
}

function cards(p: ProjectionStates): HTMLElement[] {
  const c = p.checkpoint;
  const lag = p.lag
    ? card(
        'Lag',
        `${count(p.lag.events)} events`,
        p.lag.events
          ? `oldest ${duration(p.lag.seconds)} behind; source head ${count(p.lag.sourceHead)}`
          : `caught up with the source (head ${count(p.lag.sourceHead)})`,
      )
    : card('Lag', 'unknown', 'start the inspector with --source <events log>');
  return [
    card('Keys', count(p.keys)),
    p.kind === 'projection'
      ? card(
          'Checkpoint',
          c ? `next ${count(c.next)}` : 'none',
          c ? `last event ${count(c.last)}, version ${c.version}` : 'nothing committed yet',
        )
      : card('Checkpoint', p.next === null ? 'none' : `next ${count(p.next)}`, `a ${p.kind}: it keeps no states`),
    lag,
    card(
      'Committed',
      p.committedAt ? ago(p.committedAgo) : '\u2013',
      p.committedAt ? p.committedAt.replace('T', ' ') : null,
    ),
    card(
      'Generation',
      p.generation === null ? '\u2013' : String(p.generation),
      p.uncommitted ? `${p.uncommitted} records after the checkpoint` : null,
    ),
    card('Dead letters', count(p.deadLetters)),
  ];
}

function caption(p: ProjectionStates, rows: number): string {
  if (p.matched === null)
    return `${count(rows)} states found containing \u201c${p.query}\u201d${p.nextAfter ? ' so far' : ''}`;
  const keys = p.query
    ? `${count(p.matched)} of ${count(p.keys)} keys match \u201c${p.query}\u201d`
    : `${count(p.keys)} keys`;
  return `${keys}, ${count(rows)} shown`;
}

/** A row per instance: its stream, its newest record, where that is in the store, and when. */
function renderInstances(w: WorkflowInstances, body: HTMLTableSectionElement): void {
  for (const i of w.instances) {
    body.appendChild(
      el(
        'tr',
        { 'data-key': i.id },
        el('td', null, el('code', { text: i.stream })),
        el('td', { class: 'value' }, shown(i.last.value, '(none)')),
        el('td', { class: 'num', text: count(i.last.offset) }),
        el('td', { class: 'time', text: i.last.time.replace('T', ' ') }),
      ),
    );
  }
  if (!body.rows.length)
    body.appendChild(el('tr', null, el('td', { colspan: 4, class: 'muted', text: 'no instances' })));
  byId('p-caption').textContent =
    `${count(w.count)} instances, ${count(body.querySelectorAll('tr[data-key]').length)} shown (each with its newest record)`;
  after = w.nextAfter;
  show(button('p-more'), w.nextAfter !== null);
}

function renderProjection(p: ProjectionStates, more: boolean, instances?: WorkflowInstances): void {
  fill(byId('p-cards'), ...cards(p));
  const problem = byId('p-problem');
  problem.textContent = p.checkpointProblem ? `The checkpoint cannot be trusted: ${p.checkpointProblem}` : '';
  show(problem, Boolean(p.checkpointProblem));
  const body = tableBody('p-table');
  if (!more) clear(body);
  if (instances) return renderInstances(instances, body);
  for (const s of p.states) {
    body.appendChild(
      el(
        'tr',
        { 'data-key': s.key },
        el('td', null, el('code', { text: s.key })),
        el('td', { class: 'value' }, shown(s.state, '(none)')),
        el('td', { class: 'num', text: s.sourceOffset === null ? '\u2013' : count(s.sourceOffset) }),
        el('td', { class: 'time', text: s.time.replace('T', ' ') }),
      ),
    );
  }
  if (!body.rows.length)
    body.appendChild(
      el('tr', null, el('td', { colspan: 4, class: 'muted', text: p.query ? 'no key matches' : 'no states' })),
    );
  byId('p-caption').textContent = caption(p, body.querySelectorAll('tr[data-key]').length);
  after = p.nextAfter;
  show(button('p-more'), p.nextAfter !== null);
}

export function wireProjections(): void {
  select('p-select').addEventListener('change', () => loadProjection(true));
  button('p-refresh').addEventListener('click', () => loadProjection(true));
  byId('p-search').addEventListener('submit', (e) => {
    e.preventDefault();
    loadProjection(true);
  });
  button('p-more').addEventListener('click', () => loadProjection(false));
}
