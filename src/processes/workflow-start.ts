// Starting a workflow: the runtime made and started in one call.
import type { Event } from '../eventstore/event-type.js';
import type { WorkflowDefinition } from './workflow-definition.js';
import type { WorkflowOptions } from './workflow-options.js';
import { Workflow } from './workflow-runtime.js';

/**
 * Starts `definition` over `options.store`: pending timers are armed and,
 * with `options.checkpoints`, the store's events are consumed from the
 * checkpoint on. close() stops it.
 */
export async function startWorkflow<Input extends Event, State, Command>(
  definition: WorkflowDefinition<Input, State, Command>,
  options: WorkflowOptions,
): Promise<Workflow<Input, State, Command>> {
  const running = new Workflow(definition, options);
  await running.start();
  return running;
}
