/**
 * The projection runner: several projections over one state store (a
 * directory, or e.g. JetStream streams), each with its own pump, so each
 * catches up and follows at its own pace. A definition may be an @injectable
 * class; the runner resolves it from its tsyringe container, so its source
 * (an event store, a log) is injected. Processes (reactors, workflows) run
 * beside the projections through the RunnerProcess hook (addProcess).
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer, type InjectionToken } from 'tsyringe';
import type { Event, EventStore, RecordedEvent } from '../eventstore/index.js';
import type { BlockingLog, Log, Message } from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { resolveDefinition, type ProjectionDefinition } from './definition.js';
import { directoryStore, isProjectionStore, memoryStore, type ProjectionStore } from './generations.js';
import { resolveOptions, type ProjectionOptions, type QueryOptions } from './options.js';
import { checkProcess, type ProcessStatus, type RunnerProcess } from './process.js';
import { Projection } from './projection.js';
import type { ProjectionSource } from './source.js';
import type { ProjectionStatus } from './status.js';

export interface RunnerOptions {
  /** The state directory: projection `name` keeps its state in `<dir>/<name>`. Without it or `store`, state is held in memory (tests). */
  dir?: string;
  /** Where the state is kept instead of a directory, e.g. `jetStreamProjectionStore(...)` from klevdb/jetstream. */
  store?: ProjectionStore;
  /** Resolves definitions given as classes (default: tsyringe's global container). */
  container?: DependencyContainer;
  /** Options for every projection; add() can override them per projection. */
  defaults?: ProjectionOptions;
}

// A definition class takes whatever its constructor injects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type DefinitionClass<S, E> = new (...args: any[]) => ProjectionDefinition<S, E>;

export const ProjectionTokens = {
  Runner: Symbol('klevdb.ProjectionRunner') as InjectionToken<ProjectionRunner>,
} as const;

export class ProjectionRunner {
  // Projections of any state and event types live side by side here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly projections = new Map<string, Projection<any, any>>();
  private readonly processes = new Map<string, RunnerProcess>();
  private readonly store: ProjectionStore;
  private readonly container: DependencyContainer;
  private readonly defaults: ProjectionOptions;

  constructor(options: RunnerOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw invalidArgument('ProjectionRunner: options must be an object');
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir.length === 0)) {
      throw invalidArgument(`ProjectionRunner: options.dir must be a non-empty string, got ${String(options.dir)}`);
    }
    if (options.store !== undefined && !isProjectionStore(options.store)) {
      throw invalidArgument(
        `ProjectionRunner: options.store must be a projection store (an object with open(name, options)), got ${String(options.store)}`,
      );
    }
    if (options.dir !== undefined && options.store !== undefined) {
      throw invalidArgument(
        'ProjectionRunner: give options.dir or options.store, not both: they both say where the state is kept',
      );
    }
    this.store = options.store ?? (options.dir === undefined ? memoryStore : directoryStore(options.dir));
    this.container = options.container ?? rootContainer;
    this.defaults = options.defaults ?? {};
    resolveOptions(this.defaults, 'ProjectionRunner: options.defaults');
  }

  /**
   * Registers a projection (not started). A class is resolved from the
   * runner's container. The event type is inferred from the source, as in
   * defineProjection.
   */
  add<S, X extends Event>(
    definition: ProjectionDefinition<S, RecordedEvent<X>> & { readonly source: EventStore<X> },
    options?: ProjectionOptions,
  ): Projection<S, RecordedEvent<X>>;
  add<S, E>(
    definition: ProjectionDefinition<S, E> & { readonly source: ProjectionSource<E> },
    options?: ProjectionOptions,
  ): Projection<S, E>;
  add<S>(
    definition: ProjectionDefinition<S, Message> & { readonly source: Log | BlockingLog },
    options?: ProjectionOptions,
  ): Projection<S, Message>;
  add<S, E = unknown>(
    definition: ProjectionDefinition<S, E> | DefinitionClass<S, E> | InjectionToken<ProjectionDefinition<S, E>>,
    options?: ProjectionOptions,
  ): Projection<S, E>;
  add<S, E = unknown>(
    definition: ProjectionDefinition<S, E> | DefinitionClass<S, E> | InjectionToken<ProjectionDefinition<S, E>>,
    options: ProjectionOptions = {},
  ): Projection<S, E> {
    const instance: ProjectionDefinition<S, E> =
      typeof definition === 'function' || typeof definition === 'symbol' || typeof definition === 'string'
        ? this.container.resolve(definition)
        : (definition as ProjectionDefinition<S, E>);
    const def = resolveDefinition(instance, 'add: definition');
    if (typeof options !== 'object' || options === null)
      throw invalidArgument(`add: options must be an object, got ${String(options)}`);
    const resolved = resolveOptions({ ...this.defaults, ...options }, 'add: options');
    this.checkNameFree(def.name, 'add: definition.name');
    const projection = new Projection(def, resolved, () => this.store.open(def.name, { sync: resolved.sync }));
    this.projections.set(def.name, projection);
    return projection;
  }

  /**
   * Registers a process (a reactor, a workflow: anything with the
   * RunnerProcess shape), hands it the runner's state store and container,
   * and returns it. It starts, stops and closes with the runner; a runner
   * already started does not start it (call its start()).
   */
  addProcess<P extends RunnerProcess>(process: P): P {
    checkProcess(process, 'addProcess: process');
    this.checkNameFree(process.name, 'addProcess: process.name');
    process.attach({ store: this.store, container: this.container });
    this.processes.set(process.name, process);
    return process;
  }

  /** Every process added, in the order added. */
  get allProcesses(): RunnerProcess[] {
    return [...this.processes.values()];
  }

  /** Projections and processes share one namespace: the name is where their state lives. */
  private checkNameFree(name: string, arg: string): void {
    if (this.projections.has(name) || this.processes.has(name)) {
      const what = this.projections.has(name) ? 'projection' : 'process';
      throw invalidArgument(`${arg} "${name}" is already registered with this runner (a ${what})`);
    }
  }

  get<S, E = unknown>(name: string): Projection<S, E> {
    const projection = this.projections.get(name);
    if (!projection)
      throw invalidArgument(
        `get: no projection named ${JSON.stringify(name)}; registered: ${[...this.projections.keys()].join(', ') || 'none'}`,
      );
    return projection as Projection<S, E>;
  }

  // Every projection, whatever its state and event types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get all(): Projection<any, any>[] {
    return [...this.projections.values()];
  }

  /** Starts every projection and process; each catches up on its own. Resolves once all have started, not caught up (see whenRunning). */
  async start(): Promise<void> {
    await Promise.all([...this.all.map((p) => p.start()), ...this.allProcesses.map((p) => p.start())]);
  }

  /** Resolves once every projection has caught up. */
  async whenRunning(options?: Pick<QueryOptions, 'timeoutMs' | 'signal'>): Promise<void> {
    await Promise.all(this.all.map((p) => p.whenRunning(options)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.all.map((p) => p.stop()), ...this.allProcesses.map((p) => p.stop())]);
  }

  /** The projections' status (processes: processStatus). */
  async status(): Promise<ProjectionStatus[]> {
    return Promise.all(this.all.map((p) => p.status()));
  }

  /** Each process's status: kind, state, checkpoint, lag, dead letters. */
  async processStatus(): Promise<ProcessStatus[]> {
    return Promise.all(this.allProcesses.map((p) => p.status()));
  }

  /** Closes every projection and process; all are closed even when one fails (the first failure is thrown). */
  async close(): Promise<void> {
    const results = await Promise.allSettled([
      ...this.all.map((p) => p.close()),
      ...this.allProcesses.map((p) => p.close()),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** tsyringe calls it when a container holding the runner is disposed. */
  dispose(): Promise<void> {
    return this.close();
  }
}

/**
 * Registers a runner in `container` (under ProjectionTokens.Runner) that
 * resolves definition classes from that same container; disposing the
 * container closes the runner.
 */
export function registerProjectionRunner(
  container: DependencyContainer,
  options: Omit<RunnerOptions, 'container'> = {},
): ProjectionRunner {
  const runner = new ProjectionRunner({ ...options, container });
  container.registerInstance(ProjectionTokens.Runner, runner);
  // tsyringe disposes only what it constructed; this was handed to it.
  const dispose = container.dispose.bind(container);
  container.dispose = async () => {
    await runner.close();
    await dispose();
  };
  return runner;
}
