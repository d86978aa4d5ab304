#!/usr/bin/env node
/**
 * The klevdb command: inspect and maintain klevdb log directories (also
 * those written by the Go library). Each command family lives in
 * ./commands; exit codes and error lines are in ./errors.ts.
 */
import { Command, CommanderError } from 'commander';
import { registerMaintenanceCommands } from './commands/maintenance.js';
import { registerReadCommands } from './commands/read.js';
import { registerRetentionCommands } from './commands/retention.js';
import { registerUiCommand } from './commands/ui.js';
import { registerWriteCommands } from './commands/write.js';
import { CliError, EXIT, errorLine, toCliError, wantsJson } from './errors.js';
import { watchStdout } from './output.js';

const EXIT_CODES = `
Exit codes:
  0  ok
  1  usage error or bad argument (also: index options that do not match the log)
  2  not found (no such log directory, offset, key or time)
  3  corrupted (check failed, a record cannot be read)
  4  locked (another process has the log open for writing)
  5  other failure (permissions, disk full, ...)`;

function program(): Command {
  const cmd = new Command('klevdb')
    .description('Inspect and maintain klevdb event logs (directories of segment files, compatible with Go klevdb).')
    .version('0.1.0')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .addHelpText('after', EXIT_CODES);
  registerReadCommands(cmd);
  registerWriteCommands(cmd);
  registerRetentionCommands(cmd);
  registerMaintenanceCommands(cmd);
  registerUiCommand(cmd);
  for (const sub of cmd.commands) sub.exitOverride().configureOutput({ outputError: () => undefined });
  return cmd;
}

function fail(err: unknown): void {
  let e: CliError;
  if (err instanceof CommanderError) {
    // --help and --version (0), or help shown because no command was given (1).
    if (err.exitCode === 0 || err.code === 'commander.help') {
      process.exitCode = err.exitCode;
      return;
    }
    const name = process.argv[2];
    const command = name !== undefined && cli.commands.some((c) => c.name() === name) ? ` ${name}` : '';
    e = new CliError(EXIT.USAGE, `${err.message.replace(/^error: /, '')}; see \`klevdb${command} --help\``);
  } else {
    e = toCliError(err);
  }
  process.stderr.write(`${errorLine(e, wantsJson(process.argv.slice(2)))}\n`);
  process.exitCode = e.exitCode;
}

watchStdout();
const cli = program();
// exitCode, not exit(): piped output is written out before the process ends.
await cli.parseAsync(process.argv).catch(fail);
