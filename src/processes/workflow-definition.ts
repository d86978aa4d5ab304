/**
 * A workflow (a process manager) as plain data and pure functions: which
 * inputs it takes, how it folds them into its state, and what it decides to
 * do about each. The runtime (workflow-runtime.ts) records and delivers;
 * nothing here does I/O, so WorkflowSpecification tests it without a store.
 */
import type { AnyEventType, Event } from '../eventstore/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import type { WorkflowOutput } from './workflow-outputs.js';
import { checkKnownKeys, checkWorkflowName, describeValue } from './workflow-arguments.js';

/**
 * What comes back when a command the workflow sent was refused by its
 * target's rules (its decider threw): an input like any other, recorded in
 * the instance's stream, so decide can compensate (refund, retry, give up).
 */
export interface CommandRejected<Command = unknown> {
  readonly type: 'CommandRejected';
  readonly data: {
    target: string;
    streamId: string;
    command: Command;
    commandId: string;
    error: { name: string; message: string };
  };
}

/** What decide and evolve receive: an input event, or a refused command coming back. */
export type WorkflowInput<Input extends Event, Command> = Input | CommandRejected<Command>;

export interface WorkflowDefinition<Input extends Event, State, Command = unknown> {
  /** Names the instances' streams (`workflow-<name>-<id>`) and the checkpoint: letters, digits, '.', '_' and '-'. */
  readonly name: string;
  /** The event types (defineEvent types or type names) taken from the event store as inputs. */
  readonly inputs: readonly (AnyEventType | string)[];
  /** The names of the command handlers decide sends commands to (bound when the workflow starts). */
  readonly outputs?: readonly string[];
  readonly initialState: () => State;
  /** Folds an input the instance handled into its state. Pure. */
  readonly evolve: (state: State, input: WorkflowInput<Input, Command>) => State;
  /** What to do about an input, given the state before it. Pure and synchronous; throw to refuse the input. */
  readonly decide: (
    input: WorkflowInput<Input, Command>,
    state: State,
  ) => WorkflowOutput<Command> | readonly WorkflowOutput<Command>[];
  /** The instance an input belongs to, or undefined when it belongs to none (it is then left alone). */
  readonly getWorkflowId: (input: Input) => string | undefined;
}

const KNOWN = ['name', 'inputs', 'outputs', 'initialState', 'evolve', 'decide', 'getWorkflowId'];

/** Checks a definition once, when it is made, and returns it frozen. */
export function workflow<Input extends Event, State, Command = unknown>(
  definition: WorkflowDefinition<Input, State, Command>,
): WorkflowDefinition<Input, State, Command> {
  if (typeof definition !== 'object' || definition === null)
    throw invalidArgument(`workflow: definition must be an object, got ${describeValue(definition)}`);
  checkKnownKeys('workflow: definition', definition, KNOWN);
  checkWorkflowName('workflow: definition.name', definition.name);
  for (const fn of ['initialState', 'evolve', 'decide', 'getWorkflowId'] as const) {
    if (typeof definition[fn] !== 'function')
      throw invalidArgument(`workflow: definition.${fn} must be a function, got ${describeValue(definition[fn])}`);
  }
  const inputs: unknown = definition.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw invalidArgument(
      `workflow: definition.inputs must be a non-empty array of event types or type names, got ${describeValue(inputs)}`,
    );
  inputTypeNames(inputs as WorkflowDefinition<Input, State, Command>['inputs']);
  const outputs: unknown = definition.outputs ?? [];
  if (!Array.isArray(outputs) || !outputs.every((o) => typeof o === 'string' && o.length > 0))
    throw invalidArgument(
      `workflow: definition.outputs must be an array of command handler names, got ${describeValue(outputs)}`,
    );
  return Object.freeze({
    ...definition,
    inputs: [...(inputs as unknown[])] as typeof definition.inputs,
    outputs: [...(outputs as string[])],
  });
}

/** The type names `inputs` lists. */
export function inputTypeNames(inputs: readonly (AnyEventType | string)[]): Set<string> {
  const names = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    const name = typeof input === 'string' ? input : (input as { type?: unknown } | null)?.type;
    if (typeof name !== 'string' || name.length === 0)
      throw invalidArgument(
        `workflow: definition.inputs[${i}] must be an event type (defineEvent) or a type name, got ${describeValue(input)}`,
      );
    if (name === 'CommandRejected')
      throw invalidArgument(
        'workflow: definition.inputs must not list CommandRejected: refused commands come back to their instance without it',
      );
    names.add(name);
  }
  return names;
}
