/**
 * Processes on the projection runner: what else the runner starts, stops,
 * closes and reports on beside its projections (reactors and workflows, in
 * klevdb/processes). The contract lives here so src/projections never
 * imports what runs on it: the arrows point down.
 */
import type { DependencyContainer } from 'tsyringe';
import { invalidArgument } from '../storage/backend-kit.js';
import type { ProjectionStore } from './generations.js';

/** What the runner hands a process when it is added. */
export interface ProcessContext {
  /**
   * Where the runner keeps state (its dir, its store, or memory).
   * `store.open(process.name, ...)` takes the process's own generations,
   * locked to this runner: its checkpoint and dead-letter logs live there.
   */
  readonly store: ProjectionStore;
  /** The runner's container, to resolve what the process needs (e.g. command handlers). */
  readonly container: DependencyContainer;
}

/** What a process reports about itself; a kind may add fields. */
export interface ProcessStatus {
  name: string;
  /** What sort of process it is, e.g. 'reactor' or 'workflow'. */
  kind: string;
  /** E.g. 'stopped', 'running', 'paused', 'failed'. */
  state: string;
  /** The source offset a restart resumes at (-1: nothing committed yet). */
  checkpoint: number;
  /** The source's next offset. */
  sourceHead: number;
  /** Source offsets between the checkpoint and the head. */
  lagEvents: number;
  /** Events given up on and recorded in the dead-letter log. */
  deadLetters: number;
  /** Why the process failed, when it did. */
  error?: Error;
}

/** The hook for reactors and workflows: the runner calls attach once (in addProcess), then start / stop / close. */
export interface RunnerProcess {
  /** Unique among the runner's projections and processes; names its state, so letters, digits, '.', '_' and '-'. */
  readonly name: string;
  /** Called once, by ProjectionRunner.addProcess, before any start. */
  attach(context: ProcessContext): void;
  /** Starts (or restarts after stop) processing; resolves once started, not caught up. */
  start(): Promise<void>;
  /** Stops processing; start() again resumes. */
  stop(): Promise<void>;
  /** Stops and releases what the process holds (its state's lock, logs it opened). */
  close(): Promise<void>;
  status(): Promise<ProcessStatus>;
}

const METHODS = ['attach', 'start', 'stop', 'close', 'status'] as const;

/** `process` checked as a RunnerProcess; `arg` names it in errors. */
export function checkProcess(process: unknown, arg: string): RunnerProcess {
  if (typeof process !== 'object' || process === null)
    throw invalidArgument(`${arg} must be a process (reactor or workflow), got ${String(process)}`);
  const p = process as Partial<Record<string, unknown>>;
  if (typeof p.name !== 'string' || p.name.length === 0)
    throw invalidArgument(`${arg}.name must be a non-empty string, got ${JSON.stringify(p.name)}`);
  for (const method of METHODS) {
    if (typeof p[method] !== 'function')
      throw invalidArgument(`${arg}.${method} must be a function (a RunnerProcess has ${METHODS.join(', ')})`);
  }
  return process as RunnerProcess;
}
