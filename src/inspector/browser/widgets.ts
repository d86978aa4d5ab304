/** The pieces several views show: a stored key or value, and a labelled card. */
import type { Shown } from './api-types.js';
import { el } from './dom.js';

/** A key or value as the API shows it: a kind badge (not for plain text keys) and the text, or a muted placeholder. */
export function shown(s: Shown | null, none: string, plainText = false): HTMLElement {
  if (!s || s.kind === 'none') return el('span', { class: 'muted', text: none });
  const text = s.text + (s.truncated ? ' \u2026' : '');
  const badge = plainText && s.kind === 'text' ? null : el('span', { class: `kind ${s.kind}`, text: s.kind });
  return el('div', { class: 'shown' }, badge, el('pre', { class: 'text', text }));
}

export function card(label: string, value: string, sub?: string | null): HTMLElement {
  return el(
    'div',
    { class: 'card' },
    el('div', { class: 'label', text: label }),
    el('div', { class: 'value', text: value }),
    sub ? el('div', { class: 'sub', text: sub }) : null,
  );
}
