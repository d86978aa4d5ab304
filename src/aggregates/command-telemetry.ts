/**
 * What commandHandler records of a command: the span `klevdb.command` with
 * a child per step (lookup of the command id, then load, decide and append
 * for each attempt, snapshot), an event per retry, and the metrics
 * `klevdb.command.duration` (by outcome) and `klevdb.command.conflicts`.
 * Without the OpenTelemetry API it is DISABLED: each step just runs.
 */
import { ConcurrencyError } from '../eventstore/index.js';
import {
  ATTR,
  metricsEnabled,
  otelApi,
  recordCommand,
  recordConflict,
  startTrace,
  type CommandOutcome,
  type Trace,
} from '../telemetry/index.js';

export const COMMAND_SPAN = 'klevdb.command';
export const STEP_SPAN = {
  lookup: 'klevdb.command.lookup',
  load: 'klevdb.command.load',
  decide: 'klevdb.command.decide',
  append: 'klevdb.command.append',
  snapshot: 'klevdb.command.snapshot',
} as const;
export type Step = keyof typeof STEP_SPAN;

export interface CommandTelemetry {
  /** False when nothing is recorded: every method below does nothing but run the step. */
  readonly active: boolean;
  /** Runs a step of attempt `attempt` (0 for the first) in its span. */
  step<T>(step: Step, attempt: number, fn: () => T): T;
  /** A conflict on append that the handler retries: `retry` counts from 1. */
  retry(error: ConcurrencyError, retry: number): void;
  done(result: { alreadyApplied: boolean; events: readonly unknown[]; nextExpectedVersion: number }): void;
  failed(error: unknown): void;
}

const DISABLED: CommandTelemetry = {
  active: false,
  step: (_step, _attempt, fn) => fn(),
  retry: () => undefined,
  done: () => undefined,
  failed: () => undefined,
};

export interface CommandIds {
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  expectedVersion?: number;
}

export function commandTelemetry(streamId: string, command: unknown, ids: CommandIds): CommandTelemetry {
  if (otelApi() === undefined) return DISABLED;
  const trace = startTrace(COMMAND_SPAN, { [ATTR.streamId]: streamId });
  // No SDK at all: nothing to record, not even the duration.
  if (!trace.recording) return metricsEnabled() ? new Recorded(trace) : DISABLED;
  const type = (command as { type?: unknown } | null)?.type;
  if (typeof type === 'string') trace.set({ [ATTR.commandType]: type });
  if (ids.commandId !== undefined) trace.set({ [ATTR.commandId]: ids.commandId });
  if (ids.correlationId !== undefined) trace.set({ [ATTR.correlationId]: ids.correlationId });
  if (ids.causationId !== undefined) trace.set({ [ATTR.causationId]: ids.causationId });
  if (ids.expectedVersion !== undefined) trace.set({ [ATTR.expectedVersion]: ids.expectedVersion });
  return new Recorded(trace);
}

class Recorded implements CommandTelemetry {
  readonly active = true;
  private readonly started = performance.now();
  private retries = 0;
  private rejected = false;

  constructor(private readonly trace: Trace) {}

  step<T>(step: Step, attempt: number, fn: () => T): T {
    const attributes = this.trace.recording ? { [ATTR.attempt]: attempt + 1 } : undefined;
    if (step !== 'decide') return this.trace.child(STEP_SPAN[step], attributes, fn);
    try {
      return this.trace.child(STEP_SPAN[step], attributes, fn);
    } catch (err) {
      // decide threw: the command was rejected (by the domain, or a bug in it).
      this.rejected = true;
      throw err;
    }
  }

  retry(error: ConcurrencyError, retry: number): void {
    this.retries = retry;
    recordConflict(true);
    this.trace.event('klevdb.command.retry', {
      [ATTR.attempt]: retry + 1,
      [ATTR.conflictExpected]: error.expected,
      [ATTR.conflictActual]: error.actual,
    });
  }

  done(result: { alreadyApplied: boolean; events: readonly unknown[]; nextExpectedVersion: number }): void {
    const outcome = result.alreadyApplied ? 'already_applied' : 'applied';
    this.trace.set({
      [ATTR.eventsAppended]: result.alreadyApplied ? 0 : result.events.length,
      [ATTR.streamVersion]: result.nextExpectedVersion,
    });
    this.finish(outcome);
  }

  failed(error: unknown): void {
    const conflict = error instanceof ConcurrencyError;
    if (conflict) recordConflict(false);
    this.finish(conflict ? 'conflict' : this.rejected ? 'rejected' : 'error', error);
  }

  private finish(outcome: CommandOutcome, error?: unknown): void {
    this.trace.set({ [ATTR.outcome]: outcome, [ATTR.retries]: this.retries });
    this.trace.end(error);
    recordCommand(outcome, (performance.now() - this.started) / 1000);
  }
}
