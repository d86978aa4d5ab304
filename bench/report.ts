/**
 * Figures, the pass/fail targets and the printed table. Every comparison is a
 * ratio between stores measured in the same run: on a shared, noisy machine
 * only those mean anything.
 */

export type Kind = 'throughput' | 'time' | 'memory';

export interface Figure {
  id: string;
  label: string;
  kind: Kind;
  /** Every round's value, per peer. */
  rounds: Record<string, number[]>;
}

export const UNITS: Record<Kind, string> = { throughput: 'msg/s', time: 'ms', memory: 'B/msg' };

/**
 * Noise only ever slows a run down, so the fastest round is the truest. Memory
 * takes the largest round, so a lucky collection cannot flatter it.
 */
export function summary(figure: Figure, peer: string): number | undefined {
  const values = figure.rounds[peer];
  if (!values?.length) return undefined;
  return figure.kind === 'time' ? Math.min(...values) : Math.max(...values);
}

/** How many times better `subject` is than `peer`: above 1 means better, whatever the unit. */
export function advantage(figure: Figure, subject: string, peer: string): number | undefined {
  const a = summary(figure, subject);
  const b = summary(figure, peer);
  if (a === undefined || b === undefined) return undefined;
  return figure.kind === 'throughput' ? a / b : b / a;
}

export interface TargetResult {
  label: string;
  /** undefined: a store it needs was not measured (--only). */
  pass: boolean | undefined;
  detail: string;
}

type Figures = Map<string, Figure>;
export type Target = (figures: Figures) => TargetResult;

const SUBJECT = 'klevdb';

function skipped(label: string): TargetResult {
  return { label, pass: undefined, detail: 'not measured in this run' };
}

/** klevdb at least `min` times the best of `peers` on `figureId`. */
export function atLeast(figureId: string, min: number, peers: string[]): Target {
  const label = `${figureId}: >= ${min}x ${peers.join('/')}`;
  return (figures) => {
    const figure = figures.get(figureId);
    if (!figure) return skipped(label);
    const ratios = peers.map((peer) => advantage(figure, SUBJECT, peer));
    if (ratios.some((ratio) => ratio === undefined)) return skipped(label);
    const worst = Math.min(...(ratios as number[]));
    const margin = Math.round((worst / min - 1) * 100);
    return { label, pass: worst >= min, detail: `${worst.toFixed(2)}x, ${Math.abs(margin)}% ${margin >= 0 ? 'above' : 'below'} the target` };
  };
}

/** klevdb's figure no larger than `max` (a memory or time budget). */
export function atMost(figureId: string, max: number): Target {
  const label = `${figureId}: klevdb <= ${max}`;
  return (figures) => {
    const figure = figures.get(figureId);
    const value = figure && summary(figure, SUBJECT);
    if (!figure || value === undefined) return skipped(label);
    return { label: `${label} ${UNITS[figure.kind]}`, pass: value <= max, detail: `${value.toFixed(1)} ${UNITS[figure.kind]}` };
  };
}

/** klevdb's `figureId` no larger than its own `yardstickId`. */
export function notAbove(figureId: string, yardstickId: string): Target {
  const label = `${figureId} <= ${yardstickId} (klevdb)`;
  return (figures) => {
    const value = figures.get(figureId) && summary(figures.get(figureId)!, SUBJECT);
    const yardstick = figures.get(yardstickId) && summary(figures.get(yardstickId)!, SUBJECT);
    if (value === undefined || yardstick === undefined) return skipped(label);
    return { label, pass: value <= yardstick, detail: `${value.toFixed(0)} vs ${yardstick.toFixed(0)} (${(yardstick / value).toFixed(2)}x headroom)` };
  };
}

function formatValue(value: number | undefined, kind: Kind): string {
  if (value === undefined) return '-';
  if (kind === 'throughput') return Math.round(value).toLocaleString('en-US');
  return value.toFixed(kind === 'memory' ? 1 : 0);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) =>
    '| ' + row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ') + ' |';
  const rule = '|' + widths.map((width, column) => (column === 0 ? '-'.repeat(width + 2) : '-'.repeat(width + 1) + ':')).join('|') + '|';
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

/** A markdown table: one row per figure, a column per store, then klevdb's advantage over each. */
export function renderTable(figures: Figure[], peers: string[]): string {
  const others = peers.filter((peer) => peer !== SUBJECT);
  const header = ['operation', 'unit', ...peers, ...others.map((peer) => `klevdb vs ${peer}`)];
  const rows = figures.map((figure) => [
    figure.label,
    UNITS[figure.kind],
    ...peers.map((peer) => formatValue(summary(figure, peer), figure.kind)),
    ...others.map((peer) => {
      const ratio = advantage(figure, SUBJECT, peer);
      return ratio === undefined ? '-' : `${ratio.toFixed(2)}x`;
    }),
  ]);
  return table([header, ...rows]);
}

export function renderTargets(results: TargetResult[]): string {
  const mark = (pass: boolean | undefined) => (pass === undefined ? 'SKIP' : pass ? 'PASS' : 'FAIL');
  return results.map((result) => `${mark(result.pass)}  ${result.label}: ${result.detail}`).join('\n');
}

