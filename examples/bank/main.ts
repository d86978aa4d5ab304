// npm run example:bank -- [--data <dir>] [--reset]
import { parseExampleArgs, runMain } from '../shared/cli.js';
import { run } from './run.js';

runMain(async () => {
  const args = parseExampleArgs('bank');
  await run({ dataDir: args.dataDir, reset: args.reset });
});
