/**
 * What decide returns: commands to send, events to append, inputs to
 * schedule for later, and the end of the instance. Plain JSON data, because
 * they are recorded with the input that caused them before any is carried out.
 */
import type { Event } from '../eventstore/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { describeValue, isThenable } from './workflow-arguments.js';

/** A command for the command handler bound to `target` when the workflow started. */
export interface SendCommand<Command = unknown> {
  readonly type: 'send';
  readonly target: string;
  readonly streamId: string;
  readonly command: Command;
}

/** Events appended to a stream of the workflow's event store. */
export interface AppendEvents {
  readonly type: 'append';
  readonly streamId: string;
  readonly events: readonly Event[];
}

/** An input handed to this instance later: after `afterMs`, or at `at` (ISO-8601), even across restarts. */
export interface ScheduleInput {
  readonly type: 'schedule';
  readonly input: Event;
  readonly afterMs?: number;
  readonly at?: string;
}

/** Ends the instance: later inputs are recorded as ignored. */
export interface CompleteWorkflow {
  readonly type: 'complete';
}

export type WorkflowOutput<Command = unknown> = SendCommand<Command> | AppendEvents | ScheduleInput | CompleteWorkflow;

export const send = <Command>(target: string, streamId: string, command: Command): SendCommand<Command> => ({
  type: 'send',
  target,
  streamId,
  command,
});

export const append = (streamId: string, events: Event | readonly Event[]): AppendEvents => ({
  type: 'append',
  streamId,
  events: Array.isArray(events) ? [...(events as readonly Event[])] : [events as Event],
});

export function schedule(input: Event, when: { afterMs: number } | { at: Date }): ScheduleInput {
  return 'at' in when
    ? { type: 'schedule', input, at: when.at.toISOString() }
    : { type: 'schedule', input, afterMs: when.afterMs };
}

export const complete = (): CompleteWorkflow => ({ type: 'complete' });

/** decide's answer as a checked list; a schedule `afterMs` becomes an `at` from `now`, so a replay fires at the same time. */
export function decidedOutputs(decided: unknown, targets: readonly string[], now: number): WorkflowOutput[] {
  if (isThenable(decided))
    throw invalidArgument('workflow: decide must return its outputs synchronously (it is pure), it returned a promise');
  const list: unknown[] = decided === undefined ? [] : Array.isArray(decided) ? [...(decided as unknown[])] : [decided];
  return list.map((output, i) => checkOutput(output, `decide's output #${i}`, targets, now));
}

function checkOutput(output: unknown, arg: string, targets: readonly string[], now: number): WorkflowOutput {
  const o = output as Partial<Record<string, unknown>> | null;
  switch (typeof o === 'object' && o !== null ? o.type : undefined) {
    case 'send':
      if (typeof o!.target !== 'string' || !targets.includes(o!.target))
        throw invalidArgument(
          `workflow: ${arg} sends to ${describeTarget(o!.target)}, which the definition's outputs do not list (${targets.join(', ') || 'none'})`,
        );
      checkStream(arg, o!.streamId);
      return { type: 'send', target: o!.target, streamId: o!.streamId as string, command: o!.command };
    case 'append':
      checkStream(arg, o!.streamId);
      if (!Array.isArray(o!.events) || o!.events.length === 0)
        throw invalidArgument(`workflow: ${arg}.events must be a non-empty array of events`);
      return { type: 'append', streamId: o!.streamId as string, events: o!.events as Event[] };
    case 'schedule':
      return { type: 'schedule', input: o!.input as Event, at: scheduledAt(arg, o!, now) };
    case 'complete':
      return { type: 'complete' };
    default:
      throw invalidArgument(
        `workflow: ${arg} must be made by send, append, schedule or complete, got ${describeValue(output)}`,
      );
  }
}

function scheduledAt(arg: string, o: Partial<Record<string, unknown>>, now: number): string {
  const input = o.input as { type?: unknown } | undefined;
  if (typeof input !== 'object' || input === null || typeof input.type !== 'string')
    throw invalidArgument(`workflow: ${arg}.input must be an event ({ type, data })`);
  if (typeof o.at === 'string' && !Number.isNaN(Date.parse(o.at))) return new Date(o.at).toISOString();
  if (typeof o.afterMs === 'number' && Number.isFinite(o.afterMs) && o.afterMs >= 0)
    return new Date(now + o.afterMs).toISOString();
  throw invalidArgument(`workflow: ${arg} needs afterMs (a number >= 0) or at (a Date)`);
}

function checkStream(arg: string, streamId: unknown): void {
  if (typeof streamId !== 'string' || streamId.length === 0)
    throw invalidArgument(`workflow: ${arg}.streamId must be a non-empty string, got ${describeValue(streamId)}`);
}

const describeTarget = (t: unknown): string => (typeof t === 'string' ? JSON.stringify(t) : describeValue(t));
