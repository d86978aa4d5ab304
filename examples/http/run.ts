// The http example: the bank's commands and projections behind node:http,
// with a live SSE feed of events. Resolves once listening; close() stops it.
import type { AddressInfo } from 'node:net';
import { openBank, type Bank } from '../bank/app.js';
import { prepareDataDir } from '../shared/cli.js';
import { consolePrint, type Print } from '../shared/output.js';
import { createBankServer } from './server.js';

export interface HttpOptions {
  dataDir: string;
  reset?: boolean;
  /** 0 (default): a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  print?: Print;
}

export interface RunningService {
  url: string;
  bank: Bank;
  close(): Promise<void>;
}

export async function run(options: HttpOptions): Promise<RunningService> {
  const print = options.print ?? consolePrint;
  await prepareDataDir(options.dataDir, options.reset ?? false);
  const bank = await openBank(options.dataDir);
  const server = createBankServer(bank, (err) =>
    print(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
    });
  } catch (err) {
    await bank.close();
    throw err;
  }
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  print(`bank service on ${url} (data in ${options.dataDir}, ${await bank.store.log.nextOffset()} events)`);
  print(`  try: curl ${url}/   |   curl -N ${url}/events?from=0`);
  let closing: Promise<void> | undefined;
  return {
    url,
    bank,
    close: () =>
      (closing ??= (async () => {
        // SSE connections never end on their own.
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await bank.close();
      })()),
  };
}
