import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom, type Observable, toArray, take } from 'rxjs';
import type { BlockingLog, PublishMessage } from '../../src/storage/types.js';
import type { LogError } from '../../src/storage/errors.js';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'klevdb-streams-'));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Messages `v<i>` for i in [from, from + count), keyed by `keyOf(i)` when given. */
export function messages(from: number, count: number, keyOf?: (i: number) => string): PublishMessage[] {
  return Array.from({ length: count }, (_, j) => ({
    key: keyOf ? keyOf(from + j) : null,
    value: `v${from + j}`,
  }));
}

export const valueOf = (m: { value: Buffer | null }): string => m.value?.toString() ?? '';

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** The first `n` values of a stream. */
export const takeN = <T>(source: Observable<T>, n: number): Promise<T[]> =>
  firstValueFrom(source.pipe(take(n), toArray()));

/** The error a stream ends with; fails if it completes or stays silent for `ms`. */
export function errorOf(source: Observable<unknown>, ms = 5000): Promise<LogError> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`no error within ${ms} ms`));
    }, ms);
    const sub = source.subscribe({
      error: (err: LogError) => {
        clearTimeout(timer);
        resolve(err);
      },
      complete: () => {
        clearTimeout(timer);
        reject(new Error('completed instead of failing'));
      },
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds; fails after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(2);
  }
}

type Overrides = Partial<Record<keyof BlockingLog, (...args: never[]) => unknown>>;

/** The log with some methods replaced; the rest go to the real one. */
export function override<L extends object>(log: L, overrides: Overrides): L {
  return new Proxy(log, {
    get(target, prop, receiver) {
      const own = (overrides as Record<PropertyKey, unknown>)[prop];
      if (own !== undefined) return own;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
