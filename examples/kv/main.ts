// npm run example:kv -- [--data <dir>] [--reset]
import { parseExampleArgs, runMain } from '../shared/cli.js';
import { run } from './run.js';

runMain(async () => {
  const args = parseExampleArgs('kv');
  await run({ dataDir: args.dataDir, reset: args.reset });
});
