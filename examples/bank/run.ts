// The bank demo: accounts as aggregates, two projections, a live feed of
// events, a scripted scenario with concurrent commands, then a report.
// Data stays in the data directory: the next run continues from it.
import { prepareDataDir } from '../shared/cli.js';
import { consolePrint, type Print } from '../shared/output.js';
import { openBank } from './app.js';
import { Feed } from './feed.js';
import { report, type BankReport } from './report.js';
import { scenario, type ScenarioOutcome } from './scenario.js';

export interface BankOptions {
  dataDir: string;
  reset?: boolean;
  print?: Print;
}

export interface BankResult extends BankReport, ScenarioOutcome {
  /** The event log's offset when the run started (0: a fresh data directory). */
  startedAt: number;
  /** Events the feed printed. */
  printed: number;
}

export async function run(options: BankOptions): Promise<BankResult> {
  const print = options.print ?? consolePrint;
  await prepareDataDir(options.dataDir, options.reset ?? false);
  const bank = await openBank(options.dataDir);
  try {
    const startedAt = await bank.store.log.nextOffset();
    print(`bank: data in ${options.dataDir}, ${startedAt === 0 ? 'empty' : `${startedAt} events from earlier runs`}`);
    const feed = new Feed(bank.store, bank.notices, print, startedAt);
    let outcome: ScenarioOutcome;
    try {
      outcome = await scenario(bank, `r${startedAt}`, async (title) => {
        // Each step starts once the feed has printed the events of the one before.
        await feed.reached(await bank.store.log.nextOffset());
        if (title) print(`> ${title}`);
      });
    } finally {
      feed.stop();
    }
    const lagAfterCommands = await bank.runner.status();
    const result = await report(bank, options.dataDir, print, lagAfterCommands);
    return { ...result, ...outcome, startedAt, printed: feed.seen };
  } finally {
    await bank.close();
  }
}
