// Command-line plumbing shared by the example scripts: flags, the data
// directory, and one-line errors with a non-zero exit code.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

export interface ExampleArgs {
  /** The data directory: `--data <dir>`, default ./data/<example>. */
  dataDir: string;
  /** `--reset`: start from an empty data directory. */
  reset: boolean;
  /** `--port <n>` (0: a random free port); only for examples that take it. */
  port: number;
}

export function parseExampleArgs(
  example: string,
  argv = process.argv.slice(2),
  defaults: { port?: number } = {},
): ExampleArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      reset: { type: 'boolean', default: false },
      port: { type: 'string' },
    },
    strict: true,
  });
  const port = values.port === undefined ? (defaults.port ?? 0) : Number(values.port);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer from 0 to 65535, got ${values.port}`);
  }
  return {
    dataDir: path.resolve(values.data ?? path.join('data', example)),
    reset: values.reset ?? false,
    port,
  };
}

/** Creates the data directory, emptied first with `reset`. */
export async function prepareDataDir(dir: string, reset: boolean): Promise<void> {
  if (reset) await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
}

/** Runs a script's body; a failure is one line on stderr and exit code 1. */
export function runMain(body: () => Promise<void>): void {
  body().catch((err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
