// A writer for test/storage/head-repair.spec.ts, run under strace, which
// kills it with SIGKILL as it enters its Nth write to the head's index file:
// the publish's records are in the log and their index items are not.
// Usage: fork(torn-publish-child.js, [dir]). Reports each acknowledged
// publish ({ from, to }) over IPC once it has resolved.
import { open } from '../../src/index.js';
import { batchAt, tornMessage, TORN_OPTIONS } from './torn-publish-workload.js';

const log = await open(process.argv[2]!, TORN_OPTIONS);
for (;;) {
  const from = await log.nextOffset();
  const to = await log.publish(Array.from({ length: batchAt(from) }, (_, i) => tornMessage(from + i)));
  process.send!({ from, to });
}
