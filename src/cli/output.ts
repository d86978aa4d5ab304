/**
 * Where commands write: stdout (results, human or JSON) with backpressure,
 * and progress bars on stderr that only appear on a terminal.
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../storage/index.js';

let stdoutClosed = false;

/** Once a reader of our stdout goes away (`klevdb consume ... | head`), stop writing and end quietly. */
export function watchStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      stdoutClosed = true;
      return;
    }
    throw err;
  });
}

export function isStdoutClosed(): boolean {
  return stdoutClosed;
}

/** Writes lines to stdout, waiting when the pipe is full so a large consume does not pile up in memory. */
export async function writeLines(lines: string[]): Promise<void> {
  if (stdoutClosed || lines.length === 0) return;
  const ok = process.stdout.write(`${lines.join('\n')}\n`);
  if (!ok && !stdoutClosed) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        process.stdout.off('drain', done);
        process.stdout.off('error', done);
        process.stdout.off('close', done);
        resolve();
      };
      process.stdout.once('drain', done);
      process.stdout.once('error', done);
      process.stdout.once('close', done);
    });
  }
}

/** One JSON document on one line. */
export function writeJson(value: unknown): Promise<void> {
  return writeLines([JSON.stringify(value)]);
}

/**
 * Whether to draw progress bars: --progress / --no-progress decide when
 * given, otherwise only when both stdout and stderr are terminals (never
 * when the output is piped or redirected).
 */
export function progressWanted(option: boolean | undefined): boolean {
  if (option !== undefined) return option;
  return process.stdout.isTTY === true && process.stderr.isTTY === true;
}

/** A progress bar on stderr fed with the storage layer's onProgress reports. */
export class ProgressBar {
  private bar: cliProgress.SingleBar | undefined;
  private operation: string | undefined;

  constructor(private readonly enabled: boolean) {}

  /** The callback to pass as onProgress (undefined when bars are off). */
  get onProgress(): ((p: Progress) => void) | undefined {
    return this.enabled ? (p) => this.update(p) : undefined;
  }

  update(p: Progress): void {
    if (!this.enabled) return;
    if (this.bar === undefined || p.operation !== this.operation) {
      this.stop();
      this.operation = p.operation;
      this.bar = new cliProgress.SingleBar(
        {
          format: `${p.operation.replace(/Multi(Offsets)?$/, '')} [{bar}] {percentage}% {value}/{total} {unit}`,
          stream: process.stderr,
          hideCursor: process.stderr.isTTY === true,
          noTTYOutput: process.stderr.isTTY !== true,
          notTTYSchedule: 250,
          barsize: 30,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(p.total, p.done, { unit: p.unit });
      return;
    }
    this.bar.setTotal(p.total);
    this.bar.update(p.done, { unit: p.unit });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
