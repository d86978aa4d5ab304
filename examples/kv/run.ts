// The kv scenario: users updated many times, a few config keys, deletes as
// tombstones; then one background compaction round, with the disk size
// before and after it. Run again and it goes on from what is stored.
import path from 'node:path';
import { prepareDataDir } from '../shared/cli.js';
import { consolePrint, dirSize, formatBytes, type Print } from '../shared/output.js';
import { BackgroundCompactor, type CompactionRound } from './compactor.js';
import { KvStore } from './kv-store.js';

export interface KvOptions {
  dataDir: string;
  reset?: boolean;
  print?: Print;
  users?: number;
  /** Puts per user per run. */
  versions?: number;
}

export interface DiskState {
  messages: number;
  segments: number;
  bytes: number;
}

export interface KvResult {
  /** What the store was opened with. */
  keysAtStart: number;
  before: DiskState;
  after: DiskState;
  round: CompactionRound;
  keys: string[];
  user1: User | undefined;
  config: Array<[string, unknown]>;
}

interface User {
  name: string;
  visits: number;
}

const pad = (i: number) => String(i).padStart(2, '0');

export async function run(options: KvOptions): Promise<KvResult> {
  const print = options.print ?? consolePrint;
  const users = options.users ?? 40;
  const versions = options.versions ?? 16;
  const deleted = Math.floor(users / 4);
  await prepareDataDir(options.dataDir, options.reset ?? false);
  const dir = path.join(options.dataDir, 'kv');
  // Small segments, so the log has several and compaction rewrites them one by one.
  const store = await KvStore.open<User | string>(dir, { rollover: 16 * 1024 });
  const compactor = new BackgroundCompactor(store.log.raw(), {
    everyMs: 100,
    onError: (err) => print(`compaction failed: ${err instanceof Error ? err.message : String(err)}`),
  });
  try {
    const keysAtStart = store.size;
    print(`kv store in ${dir}: ${keysAtStart} keys at start`);

    for (let v = 0; v < versions; v++) {
      await Promise.all(
        Array.from({ length: users }, async (_, i) => {
          const key = `user:${pad(i + 1)}`;
          const current = (await store.get(key)) as User | undefined;
          await store.put(key, { name: `user ${i + 1}`, visits: (current?.visits ?? 0) + 1 });
        }),
      );
    }
    await store.put('config:theme', 'dark');
    await store.put('config:lang', 'en');
    await store.put('config:beta', 'on');
    await store.delete('config:beta');
    for (let i = users - deleted + 1; i <= users; i++) await store.delete(`user:${pad(i)}`);
    print(
      `put ${users} users x ${versions} versions and 3 config keys; deleted ${deleted} users and config:beta (tombstones)`,
    );

    const user1 = (await store.get('user:01')) as User | undefined;
    const config = await store.list('config:');
    print(`get user:01       -> ${JSON.stringify(user1)}`);
    print(
      `get config:beta   -> ${(await store.get('config:beta')) === undefined ? 'not found (deleted)' : 'still there?!'}`,
    );
    print(
      `list config:      -> ${config.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}`,
    );
    print(`live keys         -> ${store.size} (${(await store.list('user:')).length} user:, ${config.length} config:)`);

    const diskState = async (): Promise<DiskState> => {
      const stats = await store.log.stat();
      return { messages: stats.messages, segments: stats.segments, bytes: await dirSize(dir) };
    };
    const describe = (s: DiskState) =>
      `${s.messages} messages in ${s.segments} segments, ${formatBytes(s.bytes)} on disk`;
    const before = await diskState();
    print(`before compaction: ${describe(before)}`);
    compactor.start();
    const round = await compactor.nextRound();
    print(
      `compaction round:  dropped ${round.updates} replaced values and ${round.tombstones} tombstones in ${round.ms.toFixed(0)} ms`,
    );
    const after = await diskState();
    print(`after compaction:  ${describe(after)}`);
    const again = (await store.get('user:01')) as User | undefined;
    print(`get user:01       -> ${JSON.stringify(again)} (same answer after compaction)`);
    return { keysAtStart, before, after, round, keys: (await store.list()).map(([k]) => k), user1: again, config };
  } finally {
    await compactor.stop();
    await store.close();
  }
}
