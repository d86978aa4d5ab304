/**
 * klevdb ui: a read-only web inspector for a log directory or projection
 * state, served on 127.0.0.1 until Ctrl-C. It opens the logs readonly with
 * followWriter, so it runs beside the process that writes them.
 */
import type { Command } from 'commander';
import { startInspector, isLoopback } from '../../inspector/index.js';
import { parseCount } from '../args.js';
import { action, indexOptions, withLogOptions } from '../common.js';
import type { CommonOptions } from '../common.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { requireDir } from '../log-open.js';
import { writeJson, writeLines } from '../output.js';

interface UiOptions extends CommonOptions {
  port: string;
  host: string;
  source?: string;
  projections?: string;
  subscriptions?: string;
}

async function ui(dir: string, o: UiOptions): Promise<void> {
  const port = parseCount(o.port, '--port');
  if (port > 65535) throw usageError(`--port must be at most 65535, got ${port}`);
  requireDir(dir);
  if (o.source !== undefined) requireDir(o.source);
  if (o.projections !== undefined) requireDir(o.projections);
  if (o.subscriptions !== undefined) requireDir(o.subscriptions);
  const inspector = await startInspector({
    dir,
    index: indexOptions(o),
    source: o.source,
    projections: o.projections,
    subscriptions: o.subscriptions,
    host: o.host,
    port,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE')
      throw new CliError(EXIT.FAILURE, `port ${port} on ${o.host} is in use; pass another --port (0 picks a free one)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
      throw usageError(`cannot listen on ${o.host}: ${err.message}; pass --host 127.0.0.1`);
    throw err;
  });
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void inspector.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (o.json) {
    await writeJson({
      url: inspector.url,
      host: inspector.host,
      port: inspector.port,
      dir: inspector.catalog.dir,
      kind: inspector.catalog.kind,
    });
  } else {
    const lines = [`klevdb ui: inspecting ${inspector.catalog.dir} at ${inspector.url} (read-only; Ctrl-C stops)`];
    if (!isLoopback(inspector.host)) {
      lines.push(
        `klevdb ui: warning: listening on ${inspector.host}: anyone who can reach this address can read these logs`,
      );
    }
    await writeLines(lines);
  }
  await stopped;
}

export function registerUiCommand(program: Command): void {
  withLogOptions(
    program.command('ui').argument('<dir>', 'log directory, or projection state (a projection runner directory)'),
  )
    .description(
      'serve a read-only web inspector: overview, messages by offset, key and time, a live tail, projection state, subscriptions',
    )
    .option('--port <n>', 'port to listen on (0: any free port)', '7272')
    .option(
      '--host <address>',
      'address to listen on; other than loopback, anyone who reaches it can read the logs',
      '127.0.0.1',
    )
    .option('--source <dir>', 'the log the projections read, to show their lag (default: <dir> when it is a log)')
    .option('--projections <dir>', 'projection state to show beside the log <dir> (a projection runner directory)')
    .option(
      '--subscriptions <dir>',
      'durable subscriptions to show beside the log <dir> (the directory given to openSubscription as offsets)',
    )
    .action(action(ui));
}
