// npm run example:subscribers -- [--data <dir>] [--reset]
import { parseExampleArgs, runMain } from '../shared/cli.js';
import { run } from './run.js';

runMain(async () => {
  const args = parseExampleArgs('subscribers');
  await run({ dataDir: args.dataDir, reset: args.reset });
});
