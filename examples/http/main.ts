// npm run example:http -- [--port <n>] [--data <dir>] [--reset]    (port 0: a random free port)
import { parseExampleArgs, runMain } from '../shared/cli.js';
import { run } from './run.js';

runMain(async () => {
  const args = parseExampleArgs('http', process.argv.slice(2), { port: 8080 });
  const service = await run({ dataDir: args.dataDir, reset: args.reset, port: args.port });
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    console.log('stopping');
    service.close().catch((err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
});
