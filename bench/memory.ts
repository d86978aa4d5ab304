/**
 * Open time and memory per message, each measured in a fresh child process:
 * in the parent, the heap already holds every store the run has touched, so
 * neither figure would be the store's alone.
 *
 * The child settles the heap, opens the closed dataset, forces every index
 * into memory (a getByKey of a missing key visits every segment's key index,
 * a getByTime the time index), settles again and reports the difference.
 * Then it consumes the whole log in batches of 1000, the yardstick for open.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isLogError } from '../src/storage/errors.js';
import { childExecArgv } from './host.js';
import { consumeAll } from './operations.js';
import { loadPeer } from './peers/peer.js';
import { dateOf } from './workload.js';

export interface Usage {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface OpenReport {
  /** The open() call alone. */
  openMs: number;
  /** open() plus the lookups that load every index. */
  readyMs: number;
  /** One full consume in batches of 1000, in the same process. */
  consumeMs: number;
  before: Usage;
  after: Usage;
}

/** Ten bytes that no `%10d` key can be. */
const MISSING_KEY = 'not-a-key!';
const CONSUME_BATCH = 1000;
const thisFile = fileURLToPath(import.meta.url);

export function measureInChild(peerName: string, dir: string, messages: number): Promise<OpenReport> {
  return new Promise((resolve, reject) => {
    const child = fork(thisFile, [peerName, dir, String(messages)], { execArgv: childExecArgv() });
    let report: OpenReport | undefined;
    child.on('message', (message) => (report = message as OpenReport));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && report) resolve(report);
      else reject(new Error(`memory child for ${peerName} exited with ${code}`));
    });
  });
}

async function settledUsage(): Promise<Usage> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run the memory child with --expose-gc');
  // Several passes with turns in between, so weak references and finalizers get collected too.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

function millisecondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function child(peerName: string, dir: string, messages: number): Promise<OpenReport> {
  const peer = await loadPeer(peerName);
  const before = await settledUsage();
  const began = process.hrtime.bigint();
  const store = await peer.open(dir, { autoSync: false });
  const openMs = millisecondsSince(began);
  try {
    await store.getByKey(MISSING_KEY);
    throw new Error(`${peerName}: found a key that was never published`);
  } catch (err) {
    if (!isLogError(err, 'ERR_NOT_FOUND')) throw err;
  }
  await store.getByTime(dateOf(messages >> 1));
  const readyMs = millisecondsSince(began);
  const after = await settledUsage();
  const { seconds } = await consumeAll(store, messages, CONSUME_BATCH);
  await store.close();
  return { openMs, readyMs, consumeMs: seconds * 1000, before, after };
}

if (process.argv[1] === thisFile && process.send) {
  const [peerName, dir, messages] = process.argv.slice(2);
  const report = await child(peerName, dir, Number(messages));
  process.send(report, () => process.exit(0));
}
