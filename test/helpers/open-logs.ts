// Logs a test opens are closed after it, whatever happens.
import type { Log, Options } from '../../src/index.js';
import { open } from './api.js';

export interface OpenLogs {
  /** Opens a log that is closed after the current test. */
  openLog(dir: string, opts?: Options): Promise<Log>;
  /** Closes a log now (and forgets it). */
  closeLog(log: Log): Promise<void>;
}

/** Registers an afterEach hook that closes every log opened through the result. */
export function useOpenLogs(): OpenLogs {
  const opened: Log[] = [];
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close().catch(() => undefined);
  });
  return {
    async openLog(dir, opts = {}) {
      const log = await open(dir, opts);
      opened.push(log);
      return log;
    },
    async closeLog(log) {
      const i = opened.indexOf(log);
      if (i >= 0) opened.splice(i, 1);
      await log.close();
    },
  };
}
