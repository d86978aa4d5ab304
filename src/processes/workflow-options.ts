// The options of a running workflow (startWorkflow), and their checks.
import type { Event, EventStore } from '../eventstore/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import type { BlockingLog } from '../storage/index.js';
import { checkKnownKeys, describeValue } from './workflow-arguments.js';
import type { WorkflowDefinition } from './workflow-definition.js';
import type { WorkflowCommandHandler } from './workflow-delivery.js';

export interface WorkflowErrorContext {
  workflow: string;
  workflowId?: string;
}

export interface WorkflowOptions {
  /**
   * The event store the instances' streams live in, whose events are the
   * inputs. Opened with `events`, it must list workflowEvents too.
   */
  // Any event store: the workflow reads only the types it lists.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  store: EventStore<any>;
  /**
   * The command handlers decide sends to, by the names the definition's
   * outputs lists (commandHandler(...) from klevdb/aggregates, or any async
   * function of its shape: idempotent by command id).
   */
  // Command handlers of any state, command and event types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  commands?: Record<string, (...args: any[]) => any>;
  /**
   * A directory for the durable checkpoint: with it, start() consumes the
   * store's events of the input types (and the workflow's own records, to
   * finish what a crash interrupted). Without it, inputs come only through
   * handle() and timers. Needs a store over a log (openEventStore).
   */
  checkpoints?: string;
  /** Events read per batch by the consumer (default 100). */
  batchSize?: number;
  /** How many instances stay folded in memory (default 10,000). */
  cachedInstances?: number;
  /** Told of inputs whose decide threw where nobody awaits them (store events, timers), and of a consumer that stopped. Default: a process warning. */
  onError?: (error: Error, context: WorkflowErrorContext) => void;
  /**
   * A consumer stopped by an error (the store, a command handler that threw
   * rather than refused) starts again after a pause, from its checkpoint:
   * the workflow's records make the batch it read again harmless. The pause
   * starts at initialDelayMs (default 1,000), is multiplied by factor
   * (default 2) after each failure in a row, up to maxDelayMs (default
   * 60,000), and is back to the start once a batch is handled. `true`: those
   * defaults. `false`: the consumer stays stopped (status `failed`) until
   * start() is called.
   */
  restart?: boolean | RestartOptions;
}

export interface RestartOptions {
  initialDelayMs?: number;
  factor?: number;
  maxDelayMs?: number;
}

export interface ResolvedWorkflowOptions {
  store: EventStore<Event>;
  commands: Record<string, WorkflowCommandHandler>;
  targets: readonly string[];
  checkpoints: string | undefined;
  log: BlockingLog | undefined;
  batchSize: number;
  cachedInstances: number;
  onError: (error: Error, context: WorkflowErrorContext) => void;
  restart: Required<RestartOptions> | false;
}

const KNOWN = ['store', 'commands', 'checkpoints', 'batchSize', 'cachedInstances', 'onError', 'restart'];

export function resolveWorkflowOptions<Input extends Event, State, Command>(
  definition: WorkflowDefinition<Input, State, Command>,
  options: WorkflowOptions,
  caller = 'startWorkflow',
): ResolvedWorkflowOptions {
  const what = `${caller}(${definition.name})`;
  if (typeof options !== 'object' || options === null)
    throw invalidArgument(`${what}: options must be an object, got ${describeValue(options)}`);
  checkKnownKeys(`${what}: options`, options, KNOWN);
  const store = options.store as unknown as Partial<Record<string, unknown>> | undefined;
  const missing = ['appendToStream', 'readStream', 'readAll', 'headPosition'].filter(
    (m) => typeof store?.[m] !== 'function',
  );
  if (missing.length > 0)
    throw invalidArgument(
      `${what}: options.store must be an event store (openEventStore, inMemoryEventStore), got ${describeValue(store)}`,
    );
  const targets = definition.outputs ?? [];
  const commands = options.commands ?? {};
  if (typeof commands !== 'object' || commands === null)
    throw invalidArgument(
      `${what}: options.commands must be an object of command handlers, got ${describeValue(commands)}`,
    );
  for (const target of targets) {
    if (typeof commands[target] !== 'function')
      throw invalidArgument(
        `${what}: options.commands.${target} must be a command handler (the definition's outputs list it), got ${describeValue(commands[target])}`,
      );
  }
  for (const name of Object.keys(commands)) {
    if (!targets.includes(name))
      throw invalidArgument(
        `${what}: options.commands.${name} is not among the definition's outputs (${targets.join(', ') || 'none'})`,
      );
  }
  const checkpoints = options.checkpoints;
  if (checkpoints !== undefined && (typeof checkpoints !== 'string' || checkpoints.length === 0))
    throw invalidArgument(`${what}: options.checkpoints must be a directory path, got ${describeValue(checkpoints)}`);
  const log = (options.store as { log?: BlockingLog }).log;
  if (checkpoints !== undefined && typeof log?.consume !== 'function')
    throw invalidArgument(`${what}: options.checkpoints needs a store over a log (openEventStore), this one has none`);
  const onError = options.onError ?? warn;
  if (typeof onError !== 'function')
    throw invalidArgument(`${what}: options.onError must be a function, got ${describeValue(onError)}`);
  return {
    store: options.store as EventStore<Event>,
    commands: commands as Record<string, WorkflowCommandHandler>,
    targets,
    checkpoints,
    log: typeof log?.consume === 'function' ? log : undefined,
    batchSize: positive(`${what}: options.batchSize`, options.batchSize ?? 100),
    cachedInstances: positive(`${what}: options.cachedInstances`, options.cachedInstances ?? 10_000),
    onError,
    restart: resolveRestart(`${what}: options.restart`, options.restart),
  };
}

function resolveRestart(arg: string, restart: unknown): Required<RestartOptions> | false {
  if (restart === false) return false;
  if (restart === undefined || restart === true) restart = {};
  if (typeof restart !== 'object' || restart === null)
    throw invalidArgument(`${arg} must be true, false or an object, got ${describeValue(restart)}`);
  checkKnownKeys(arg, restart, ['initialDelayMs', 'factor', 'maxDelayMs']);
  const r = restart as RestartOptions;
  const initialDelayMs = atLeast(`${arg}.initialDelayMs`, r.initialDelayMs ?? 1_000, 0);
  const maxDelayMs = atLeast(`${arg}.maxDelayMs`, r.maxDelayMs ?? Math.max(60_000, initialDelayMs), initialDelayMs);
  return { initialDelayMs, factor: atLeast(`${arg}.factor`, r.factor ?? 2, 1), maxDelayMs };
}

function atLeast(arg: string, n: unknown, min: number): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min)
    throw invalidArgument(`${arg} must be a number >= ${min}, got ${describeValue(n)}`);
  return n;
}

function positive(arg: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    throw invalidArgument(`${arg} must be an integer >= 1, got ${describeValue(n)}`);
  return n;
}

function warn(error: Error, context: WorkflowErrorContext): void {
  const where = context.workflowId === undefined ? '' : ` (instance ${context.workflowId})`;
  process.emitWarning(`workflow ${context.workflow}${where}: ${error.message}`, { type: 'WorkflowWarning' });
}
