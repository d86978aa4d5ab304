// Typed access to the package root for the tests. Functions the core has not
// exported yet (check, recover, backup, ...) are looked up at call time, so
// the suite compiles while the core is being written and a missing export
// fails only the tests that need it, with a message that says so.
import * as root from '../../src/index.js';
import type { Log, Options } from '../../src/index.js';

export interface StorageApi {
  open(dir: string, opts?: Options): Promise<Log>;
  check(dir: string, opts?: Options): Promise<void>;
  recover(dir: string, opts?: Options): Promise<void>;
  backup(src: string, dst: string): Promise<void>;
}

function exported<K extends keyof StorageApi>(name: K): StorageApi[K] {
  return ((...args: unknown[]) => {
    const fn = (root as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') {
      throw new Error(`klevdb does not export ${name}() yet (see shared/API.md)`);
    }
    return (fn as (...a: unknown[]) => unknown)(...args);
  }) as StorageApi[K];
}

export const open = exported('open');
export const check = exported('check');
export const recover = exported('recover');
export const backup = exported('backup');

/** Calls any export of the root with arbitrary (possibly ill-typed) arguments. */
export function callExport(name: keyof StorageApi, ...args: unknown[]): Promise<unknown> {
  return (exported(name) as (...a: unknown[]) => Promise<unknown>)(...args);
}
