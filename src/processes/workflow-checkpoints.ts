/**
 * Where a workflow's consumer keeps its committed position: a directory of
 * its own (startWorkflow's `checkpoints`), or, on a ProjectionRunner, the
 * runner's projection store, in a generation of the workflow's name whose
 * state log holds the position and whose lock keeps a second runner out.
 */
import type { ProjectionStore } from '../projections/backend-kit.js';
import type { Log } from '../storage/index.js';
import { openProcessGeneration } from './process-generation.js';

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
    const generation = await openProcessGeneration(store, name, false, 'workflow');
    return { offsets: generation.logs.state, release: generation.release };
  };
}
