/**
 * Where a workflow's consumer keeps its committed position: a directory of
 * its own (startWorkflow's `checkpoints`), or, on a ProjectionRunner, the
 * runner's projection store, in a generation of the workflow's name whose
 * state log holds the position and whose lock keeps a second runner out.
 */
import type { GenerationLogs, ProjectionStore } from '../projections/backend-kit.js';
import type { Log } from '../storage/index.js';

export interface CheckpointPlace {
  /** A directory (the subscription's offsets log and lock live there) or a keyed log. */
  offsets: string | Log;
  /** Gives back what opening took. */
  release(): Promise<void>;
}

/** The consumer's durable subscription: its key in the offsets log (the inspector reads it too). */
export const workflowSubscriptionName = (workflow: string): string => `workflow-${workflow}`;

export type OpenCheckpoints = () => Promise<CheckpointPlace>;

export const directoryCheckpoints =
  (dir: string): OpenCheckpoints =>
  () =>
    Promise.resolve({ offsets: dir, release: () => Promise.resolve() });

/** The runner's store: ERR_LOCKED while another runner holds the workflow's state. */
export function runnerCheckpoints(store: ProjectionStore, name: string): OpenCheckpoints {
  return async () => {
    const generations = await store.open(name, { sync: false });
    let logs: GenerationLogs | undefined;
    try {
      let id = generations.current;
      logs = await generations.open(id ?? (id = generations.fresh()));
      if (generations.current === undefined) await generations.switchTo(id);
    } catch (err) {
      try {
        if (logs) await generations.release(logs);
      } finally {
        await generations.close();
      }
      throw err;
    }
    const opened = logs;
    return {
      offsets: opened.state,
      release: async () => {
        try {
          await generations.release(opened);
        } finally {
          await generations.close();
        }
      },
    };
  };
}
