/** What every command shares: the log options, --json, and error handling around the action. */
import { Command, Option } from 'commander';
import { toCliError } from './errors.js';
import type { IndexOptions } from '../log-tools/index.js';

export interface CommonOptions extends IndexOptions {
  json?: boolean;
}

export interface ProgressOption {
  progress?: boolean;
}

/** --key-index / --time-index (and their --no- forms) and --json. */
export function withLogOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--key-index', 'the log keeps a key index (default: detected from the log)'))
    .addOption(new Option('--no-key-index', 'the log keeps no key index'))
    .addOption(new Option('--time-index', 'the log keeps a time index (default: detected from the log)'))
    .addOption(new Option('--no-time-index', 'the log keeps no time index'))
    .option('--json', 'machine-readable output (JSON)');
}

/** --progress / --no-progress (default: bars only when stdout is a terminal). */
export function withProgressOption(cmd: Command): Command {
  return cmd
    .addOption(new Option('--progress', 'draw progress bars on stderr even when not on a terminal'))
    .addOption(new Option('--no-progress', 'never draw progress bars'));
}

/** The index options as given (undefined when left out, so they get detected). */
export function indexOptions(o: IndexOptions): IndexOptions {
  return { keyIndex: o.keyIndex, timeIndex: o.timeIndex };
}

/** Wraps an action so any failure becomes a CliError naming the log directory (its first argument). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      throw toCliError(err, typeof args[0] === 'string' ? args[0] : undefined);
    }
  };
}
