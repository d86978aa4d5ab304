/**
 * The one generation a process (reactor, workflow consumer) keeps in the
 * runner's projection store: the current one, or a fresh one made current.
 * Opening it takes the store's lock (ERR_LOCKED while another runner holds
 * it); `release` gives back the logs and the lock, and a failed open leaves
 * nothing open.
 */
import type { GenerationLogs, ProjectionStore } from '../projections/backend-kit.js';
import { isLogError, LogError } from '../storage/index.js';

export interface ProcessGeneration {
  readonly logs: GenerationLogs;
  readonly release: () => Promise<void>;
}

export async function openProcessGeneration(
  store: ProjectionStore,
  name: string,
  sync: boolean,
  /** What the process is, for the errors: "reactor", "workflow". */
  kind: string,
): Promise<ProcessGeneration> {
  let generations;
  try {
    generations = await store.open(name, { sync });
  } catch (err) {
    // The storage lock's advice (open readonly) is not what a second runner needs.
    if (isLogError(err, 'ERR_LOCKED'))
      throw new LogError(
        'ERR_LOCKED',
        `${kind} ${name}: another runner holds its checkpoint (${err.message.split(';')[0]}); stop that runner, or run this one on another directory`,
        { cause: err },
      );
    throw err;
  }
  let logs: GenerationLogs | undefined;
  const release = async (): Promise<void> => {
    try {
      if (logs) await generations.release(logs);
    } finally {
      await generations.close();
    }
  };
  try {
    const current = generations.current;
    const id = current ?? generations.fresh();
    logs = await generations.open(id);
    if (current === undefined) await generations.switchTo(id);
    return { logs, release };
  } catch (err) {
    await release();
    throw err;
  }
}
