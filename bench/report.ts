/**
 * Figures, the pass/fail targets and the printed table. Every comparison is a
 * ratio between stores measured in the same run: on a shared, noisy machine
 * only those mean anything.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
    return {
      label,
      pass: worst >= min,
      detail: `${worst.toFixed(2)}x, ${Math.abs(margin)}% ${margin >= 0 ? 'above' : 'below'} the target`,
    };
  };
}

/** klevdb's figure no larger than `max` (a memory or time budget). */
export function atMost(figureId: string, max: number): Target {
  const label = `${figureId}: klevdb <= ${max}`;
  return (figures) => {
    const figure = figures.get(figureId);
    const value = figure && summary(figure, SUBJECT);
    if (!figure || value === undefined) return skipped(label);
    return {
      label: `${label} ${UNITS[figure.kind]}`,
      pass: value <= max,
      detail: `${value.toFixed(1)} ${UNITS[figure.kind]}`,
    };
  };
}

/** klevdb's `figureId` no larger than its own `yardstickId`. */
export function notAbove(figureId: string, yardstickId: string): Target {
  const label = `${figureId} <= ${yardstickId} (klevdb)`;
  return (figures) => {
    const value = figures.get(figureId) && summary(figures.get(figureId)!, SUBJECT);
    const yardstick = figures.get(yardstickId) && summary(figures.get(yardstickId)!, SUBJECT);
    if (value === undefined || yardstick === undefined) return skipped(label);
    return {
      label,
      pass: value <= yardstick,
      detail: `${value.toFixed(0)} vs ${yardstick.toFixed(0)} (${(yardstick / value).toFixed(2)}x headroom)`,
    };
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
    '| ' +
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join(' | ') +
    ' |';
  const rule =
    '|' +
    widths.map((width, column) => (column === 0 ? '-'.repeat(width + 2) : '-'.repeat(width + 1) + ':')).join('|') +
    '|';
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

/**
 * A target on a ratio between two figures of the same run: `ratio` at least
 * `bound.atLeast` or at most `bound.atMost`; `what` says what was divided.
 */
export function ratioTarget(
  label: string,
  ratio: number,
  bound: { atLeast: number } | { atMost: number },
  what: string,
): TargetResult {
  const limit = 'atLeast' in bound ? bound.atLeast : bound.atMost;
  const pass = 'atLeast' in bound ? ratio >= limit : ratio <= limit;
  // Positive margin: room to spare, whichever way the bound points.
  const margin = Math.round(('atLeast' in bound ? ratio / limit - 1 : limit / ratio - 1) * 100);
  return {
    label,
    pass,
    detail: `${ratio.toFixed(2)}x (${what}), ${Math.abs(margin)}% ${margin >= 0 ? 'inside' : 'outside'} the target`,
  };
}

/** The `p`-th percentile (0..100) by nearest rank; `sorted` ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A positive integer from the environment, or `fallback` when unset. */
export function envCount(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** A figure of a bench that keeps every round (maintenance, streams). */
export interface RoundFigure {
  id: string;
  label: string;
  unit: string;
  rounds: number[];
  /** The least disturbed round: the highest rate, the lowest time; for memory, the highest (worst). */
  best: number;
}

/** A bench's figures by id, in the order first added. */
export class RoundFigures {
  readonly all = new Map<string, RoundFigure>();

  /** `keep`: which round is the figure's best, the largest value or the smallest. */
  add(id: string, label: string, unit: string, value: number, keep: 'max' | 'min'): void {
    const figure = this.all.get(id) ?? { id, label, unit, rounds: [], best: value };
    figure.rounds.push(value);
    figure.best = keep === 'min' ? Math.min(...figure.rounds) : Math.max(...figure.rounds);
    this.all.set(id, figure);
  }

  best(id: string): number {
    return this.all.get(id)?.best ?? NaN;
  }

  list(): RoundFigure[] {
    return [...this.all.values()];
  }

  /** A markdown table: figure, unit, best round, every round. */
  render(): string {
    const format = (n: number) =>
      n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);
    const header = ['figure', 'unit', 'best', 'rounds'];
    const rows = this.list().map((f) => [f.label, f.unit, format(f.best), f.rounds.map(format).join(', ')]);
    return table([header, ...rows]);
  }
}

/** The machine a result file was measured on; other work on it skews every figure, hence the load averages. */
export function machineInfo(loadAtStart: number) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
  };
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * One run of a standalone bench: a scratch directory bench/data/<name>-<pid>
 * (removed on Ctrl-C too), the clock and the load as it began, and its
 * results file bench/<name>-results.json.
 */
export class BenchRun {
  readonly dir: string;
  readonly began = Date.now();
  readonly loadAtStart = os.loadavg()[0]!;

  constructor(readonly name: string) {
    this.dir = path.join(REPO_ROOT, 'bench', 'data', `${name}-${process.pid}`);
    process.once('SIGINT', () => {
      this.removeData();
      process.exit(130);
    });
  }

  removeData(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes the results file, with date, machine, Node and run time ahead of `results`, and says where. */
  finish(results: object): void {
    const seconds = Math.round((Date.now() - this.began) / 1000);
    const file = path.join(REPO_ROOT, 'bench', `${this.name}-results.json`);
    const json = {
      date: new Date().toISOString(),
      machine: machineInfo(this.loadAtStart),
      node: process.version,
      runSeconds: seconds,
      ...results,
    };
    fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
    const load = `load average ${this.loadAtStart.toFixed(1)} -> ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
    console.log(`${seconds} s, ${load}; results written to ${path.relative(process.cwd(), file)}`);
  }
}
