/** The overview's bar chart of messages over time, drawn with DOM calls (no library, no markup strings). */
import type { Timeline } from './api-types.js';
import { svg } from './dom.js';
import { count } from './format.js';

const W = 900;
const H = 220;
const LEFT = 52;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 34;

function isoSeconds(micros: number): string {
  return new Date(micros / 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function chart(t: Timeline): SVGElement {
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': 'messages over time',
  });
  if (!t.counts.length) {
    root.appendChild(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty', text: 'no messages' }));
    return root;
  }
  const max = Math.max(...t.counts, 1);
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const bw = plotW / t.counts.length;
  for (const f of [0, 0.5, 1]) {
    const y = TOP + plotH * (1 - f);
    root.appendChild(svg('line', { x1: LEFT, x2: W - RIGHT, y1: y, y2: y, class: 'gridline' }));
    root.appendChild(svg('text', { x: LEFT - 6, y: y + 4, 'text-anchor': 'end', text: count(Math.round(max * f)) }));
  }
  t.counts.forEach((c, i) => {
    const h = (plotH * c) / max;
    const from = new Date((t.fromMicros + i * t.bucketMicros) / 1000).toISOString();
    const to = new Date((t.fromMicros + (i + 1) * t.bucketMicros) / 1000).toISOString();
    root.appendChild(
      svg(
        'rect',
        {
          class: 'bar',
          x: LEFT + i * bw + 1,
          y: TOP + plotH - h,
          width: Math.max(1, bw - 2),
          height: h,
          'data-count': c,
        },
        svg('title', { text: `${from} \u2013 ${to}: ${count(c)} messages` }),
      ),
    );
  });
  root.appendChild(svg('line', { x1: LEFT, x2: W - RIGHT, y1: TOP + plotH, y2: TOP + plotH, class: 'axis' }));
  const end = t.fromMicros + t.counts.length * t.bucketMicros;
  const labels: [number, string, number][] = [
    [LEFT, 'start', t.fromMicros],
    [LEFT + plotW / 2, 'middle', (t.fromMicros + end) / 2],
    [W - RIGHT, 'end', end],
  ];
  for (const [x, anchor, micros] of labels) {
    root.appendChild(svg('text', { x, y: H - 12, 'text-anchor': anchor, text: isoSeconds(micros) }));
  }
  return root;
}
