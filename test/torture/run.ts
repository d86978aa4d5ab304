// npm run torture: the reliability tests of CI, longer, with fixed seeds, and
// a table of what they covered (trials, bytes flipped, interleavings). The
// same seeds give the same runs: `npm run torture -- --seed 7` for others.
//   scale: --scale N multiplies crash trials (storage, commands, projections, transfer workflow), model runs, the follow time
//   and the Go interop property runs (at least 200).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import type { Figure } from '../helpers/figures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SPECS = [
  'storage/crash',
  'eventstore/crash',
  'projections/crash',
  'processes/transfer-crash',
  'reliability/corruption',
  'reliability/concurrency',
  'reliability/processes',
  'storage/bad-input',
  'reliability/bad-input',
  'reliability/disk-full',
  'interop/property',
];

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const opts = new Command('torture')
  .description('the reliability tests, longer and seeded, with a table of what they covered')
  .option('--seed <n>', 'seed of the crash, model and follower runs', positiveInt, 20261125)
  .option('--scale <n>', "multiplies crash trials, model runs and the followers' writing time", positiveInt, 10)
  .option('--json <file>', 'also write the figures to this file')
  .parse()
  .opts<{ seed: number; scale: number; json?: string }>();

const work = mkdtempSync(path.join(os.tmpdir(), 'klevdb-torture-'));
const figuresFile = path.join(work, 'figures.jsonl');
writeFileSync(figuresFile, '');
const env = {
  ...process.env,
  KLEVDB_FIGURES: figuresFile,
  KLEVDB_CRASH_SEED: String(opts.seed),
  KLEVDB_CRASH_TRIALS: String(opts.scale),
  KLEVDB_MODEL_SEED: String(opts.seed),
  KLEVDB_MODEL_RUNS: String(300 * opts.scale),
  KLEVDB_FOLLOW_SEED: String(opts.seed),
  KLEVDB_FOLLOW_MS: String(6000 * opts.scale),
  KLEVDB_COMMAND_CRASH_ROUNDS: String(4 * opts.scale),
  KLEVDB_PROJECTION_CRASH_TRIALS: String(Math.max(20, 10 * opts.scale)),
  // The bank's transfer workflow: kills of the bank app during 300 concurrent transfers.
  KLEVDB_TRANSFER_KILLS: String(3 * opts.scale),
  KLEVDB_TRANSFER_COUNT: '300',
  // Random operations through this library and Go klevdb (needs Go): at least 200 runs.
  KLEVDB_INTEROP_RUNS: String(Math.max(200, 20 * opts.scale)),
};
console.log(
  `torture: seed ${opts.seed}, scale ${opts.scale}x (crash trials, model runs and follow time); replay with the same flags`,
);
const started = Date.now();
const mocha = spawnSync(
  process.execPath,
  [
    path.join(ROOT, 'node_modules/mocha/bin/mocha.js'),
    '--no-config',
    '--timeout',
    '0',
    ...SPECS.map((s) => path.join(ROOT, 'dist/test', `${s}.spec.js`)),
  ],
  { env, stdio: 'inherit', cwd: ROOT },
);

const totals = new Map<string, Figure>();
for (const line of readFileSync(figuresFile, 'utf8').split('\n')) {
  if (!line) continue;
  const f = JSON.parse(line) as Figure;
  const key = `${f.area}\u0000${f.what}`;
  const seen = totals.get(key);
  totals.set(key, seen ? { ...seen, value: seen.value + f.value } : f);
}
rmSync(work, { recursive: true, force: true });
const rows = [...totals.values()];
const width = Math.max(...rows.map((r) => r.what.length), 10);
let area = '';
for (const r of rows) {
  if (r.area !== area) console.log(`\n${(area = r.area)}`);
  console.log(`  ${r.what.padEnd(width)}  ${r.value.toLocaleString('en-US')}`);
}
const minutes = ((Date.now() - started) / 60000).toFixed(1);
console.log(
  `\n${mocha.status === 0 ? 'all passed' : 'FAILED'} in ${minutes} min (seed ${opts.seed}, scale ${opts.scale}x)`,
);
if (opts.json)
  writeFileSync(
    opts.json,
    `${JSON.stringify({ seed: opts.seed, scale: opts.scale, passed: mocha.status === 0, minutes: Number(minutes), figures: rows }, null, 2)}\n`,
  );
process.exit(mocha.status ?? 1);
