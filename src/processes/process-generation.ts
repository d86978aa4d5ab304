/**
 * The one generation a process (reactor, workflow consumer) keeps in the
 * runner's projection store: the current one, or a fresh one made current.
 * Opening it takes the store's lock (ERR_LOCKED while another runner holds
 * it); `release` gives back the logs and the lock, and a failed open leaves
 * nothing open.
 */
import type { GenerationLogs, ProjectionStore } from '../projections/backend-kit.js';

export interface ProcessGeneration {
  readonly logs: GenerationLogs;
  readonly release: () => Promise<void>;
}

export async function openProcessGeneration(
  store: ProjectionStore,
  name: string,
  sync: boolean,
): Promise<ProcessGeneration> {
  const generations = await store.open(name, { sync });
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
