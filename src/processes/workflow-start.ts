// Making a workflow's runtime: started on its own, or handed to a ProjectionRunner.
import type { Event } from '../eventstore/index.js';
import type { WorkflowDefinition } from './workflow-definition.js';
import type { WorkflowOptions } from './workflow-options.js';
import { Workflow } from './workflow-runtime.js';

/**
 * The runtime of `definition`, not started: `runner.addProcess(createWorkflow(...))`
 * runs it on a ProjectionRunner (its checkpoint in the runner's store), or
 * call start() yourself.
 */
export function createWorkflow<Input extends Event, State, Command>(
  definition: WorkflowDefinition<Input, State, Command>,
  options: WorkflowOptions,
): Workflow<Input, State, Command> {
  return new Workflow(definition, options, 'createWorkflow');
}

/**
 * Starts `definition` over `options.store` on its own: pending timers are
 * armed and, with `options.checkpoints`, the store's events are consumed
 * from the checkpoint on. close() stops it.
 */
export async function startWorkflow<Input extends Event, State, Command>(
  definition: WorkflowDefinition<Input, State, Command>,
  options: WorkflowOptions,
): Promise<Workflow<Input, State, Command>> {
  const running = new Workflow(definition, options);
  await running.start();
  return running;
}
