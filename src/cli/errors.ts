/**
 * The CLI's exit codes and its one-line errors. Every failure ends up as a
 * CliError: a code from EXIT and a message that names what went wrong and
 * what to do, printed as `klevdb: <message>` on one line of stderr, or with
 * --json as one JSON object on that line (errorLine).
 */
import { KlevdbError, isLogError } from '../storage/index.js';
import { indexMismatch } from '../log-tools/index.js';

export const EXIT = {
  /** Success. */
  OK: 0,
  /** Usage error or bad argument (unknown option, bad offset, wrong index options, ...). */
  USAGE: 1,
  /** Nothing there: no such log directory, offset, key or time. */
  NOT_FOUND: 2,
  /** The log is corrupted (check failed, a record cannot be read). */
  CORRUPTED: 3,
  /** Another process has the log open for writing. */
  LOCKED: 4,
  /** Anything else: file system errors (permissions, disk full), unexpected failures. */
  FAILURE: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The kind of failure an exit code means, as the `code` of a --json error (stable: scripts switch on it). */
const KIND: Readonly<Record<ExitCode, string>> = {
  0: 'OK',
  1: 'ERR_USAGE',
  2: 'ERR_NOT_FOUND',
  3: 'ERR_CORRUPTED',
  4: 'ERR_LOCKED',
  5: 'ERR_FAILURE',
};

/** A failure of a command, with the exit code the process ends with (code ERR_CLI); `cause` is what it was made from. */
export class CliError extends KlevdbError<'ERR_CLI'> {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_CLI', message, options);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT.USAGE, message);
export const notFoundError = (message: string): CliError => new CliError(EXIT.NOT_FOUND, message);

/** One line: newlines and runs of spaces collapse, so stderr stays greppable. */
export function oneLine(text: string): string {
  return text
    .replace(/\s*\n\s*/g, '; ')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** The `code` of the error the CliError was made from (a LogError's, Node's errno), if it had one. */
function causeCode(e: CliError): string | undefined {
  const cause = e.cause as { code?: unknown } | null | undefined;
  return cause !== null && typeof cause === 'object' && typeof cause.code === 'string' ? cause.code : undefined;
}

/**
 * The line a failure prints on stderr: `klevdb: <message>`, or with --json
 * `{"error":{"code","exitCode","message","cause"?}}` (cause: the code of the
 * underlying error, such as ERR_INVALID_OFFSET or ENOSPC, when it had one).
 */
export function errorLine(e: CliError, json: boolean): string {
  const message = oneLine(e.message);
  if (!json) return `klevdb: ${message}`;
  const cause = causeCode(e);
  return JSON.stringify({
    error: { code: KIND[e.exitCode], exitCode: e.exitCode, message, ...(cause === undefined ? {} : { cause }) },
  });
}

/** Whether the command line asks for JSON output (--json before any `--`), also when parsing it failed. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * The CliError for any error a command let through, phrased for the command
 * line (flags, not API options) and naming what to do. `dir` is the log the
 * command works on, for messages that need it.
 */
export function toCliError(err: unknown, dir?: string): CliError {
  if (err instanceof CliError) return err;
  const e = phrase(err, dir);
  return new CliError(e.exitCode, e.message, { cause: err });
}

function phrase(err: unknown, dir: string | undefined): CliError {
  const log = dir ?? 'the log';
  if (isLogError(err)) {
    const detail = err.message;
    switch (err.code) {
      case 'ERR_LOCKED':
        return new CliError(
          EXIT.LOCKED,
          `log ${log} is locked by another process that has it open for writing; stop that process first (read commands such as consume and stat work beside it)`,
        );
      case 'ERR_NOT_FOUND':
      case 'ERR_INVALID_OFFSET':
        return new CliError(EXIT.NOT_FOUND, `${detail}; run \`klevdb stat ${log}\` to see which offsets it holds`);
      case 'ERR_CORRUPTED': {
        const mismatch = indexMismatch(err);
        if (mismatch) {
          const flag = `${mismatch.index}-index`;
          return usageError(
            `log ${log} was created ${mismatch.created ? 'with' : 'without'} a ${mismatch.index} index; ` +
              `pass ${mismatch.created ? `--${flag}` : `--no-${flag}`}, or leave both index options out to detect them`,
          );
        }
        return new CliError(
          EXIT.CORRUPTED,
          `log ${log} is corrupted: ${detail}; run \`klevdb check --all ${log}\` to locate the damage (\`klevdb recover ${log}\` repairs a damaged head segment)`,
        );
      }
      case 'ERR_NO_INDEX':
        return usageError(`${detail.replace(/open the log with (key|time)Index: true/, 'the log has no $1 index')}`);
      case 'ERR_RANGE':
        return new CliError(
          EXIT.CORRUPTED,
          `log ${log} cannot be read: ${detail}; if it has V1 segments, pass --key-index/--no-key-index and --time-index/--no-time-index as it was created with`,
        );
      case 'ERR_INVALID_ARGUMENT':
        return usageError(detail);
      case 'ERR_READONLY':
      case 'ERR_CLOSED':
      case 'ERR_ABORTED':
        return new CliError(EXIT.FAILURE, detail);
    }
  }
  const errno = err as NodeJS.ErrnoException | null;
  if (errno && typeof errno === 'object' && typeof errno.code === 'string') {
    const what = errno.message ?? String(err);
    if (errno.code === 'ENOENT') return notFoundError(`${what}; check the path`);
    if (errno.code === 'EACCES' || errno.code === 'EPERM')
      return new CliError(EXIT.FAILURE, `${what}; check the permissions`);
    if (errno.code === 'ENOSPC') return new CliError(EXIT.FAILURE, `${what}; free some disk space and retry`);
    return new CliError(EXIT.FAILURE, what);
  }
  return new CliError(EXIT.FAILURE, `unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
}
