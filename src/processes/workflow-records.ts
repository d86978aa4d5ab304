/**
 * What a workflow writes to the event store. Each input an instance receives
 * becomes one WorkflowInputRecorded event in the instance's stream
 * (`workflow-<name>-<id>`): the input, what became of it, and the outputs
 * decide made of it, in one append, before any output is carried out.
 * Scheduled inputs live in one stream per workflow (`workflow-timers:<name>`)
 * until they fire. A store opened with `events` must list workflowEvents.
 */
import { z } from 'zod';
import { defineEvent, type Event, InvalidEventError, type RecordedEvent } from '../eventstore/index.js';
import type { WorkflowOutput } from './workflow-outputs.js';

const inputEvent = z.object({ type: z.string().min(1), data: z.unknown() });

export const WorkflowInputRecorded = defineEvent(
  'WorkflowInputRecorded',
  z.object({
    workflow: z.string(),
    workflowId: z.string(),
    inputId: z.string(),
    input: inputEvent,
    /** handled: decided and evolved; ignored: the instance had completed; failed: decide threw (reason). */
    outcome: z.enum(['handled', 'ignored', 'failed']),
    // Checked when decided (workflow-outputs.ts); stored as decided.
    outputs: z.array(z.custom<WorkflowOutput>((o) => typeof o === 'object' && o !== null && 'type' in o)),
    reason: z.string().optional(),
  }),
);

export const WorkflowTimerScheduled = defineEvent(
  'WorkflowTimerScheduled',
  z.object({ workflow: z.string(), timerId: z.string(), workflowId: z.string(), at: z.string(), input: inputEvent }),
);

export const WorkflowTimerFired = defineEvent(
  'WorkflowTimerFired',
  z.object({ workflow: z.string(), timerId: z.string() }),
);

/** Add these to the `events` of a store that workflows write to. */
export const workflowEvents = [WorkflowInputRecorded, WorkflowTimerScheduled, WorkflowTimerFired] as const;

const WORKFLOW_EVENT_TYPES: ReadonlySet<string> = new Set(workflowEvents.map((t) => t.type));

/**
 * Appends one of the workflow's own records. A store opened with `events`
 * that leaves out workflowEvents refuses it as an unknown type, and its
 * advice (declare the type with defineEvent) would be wrong here: the
 * error says to add workflowEvents instead.
 */
export async function appendRecord<T>(append: () => Promise<T>): Promise<T> {
  try {
    return await append();
  } catch (err) {
    if (err instanceof InvalidEventError && err.path === 'type' && WORKFLOW_EVENT_TYPES.has(err.eventType ?? ''))
      throw new InvalidEventError(
        err.eventType,
        'type',
        "the store does not know the workflow's own events",
        undefined,
        'on append',
        "open the store with events: [...yourEvents, ...workflowEvents] (workflowEvents from 'klevdb/processes')",
      );
    throw err;
  }
}

export type Outcome = 'handled' | 'ignored' | 'failed';

export interface InputRecord {
  workflow: string;
  workflowId: string;
  inputId: string;
  input: Event;
  outcome: Outcome;
  outputs: WorkflowOutput[];
  reason?: string;
}

export const instanceStream = (name: string, workflowId: string): string => `workflow-${name}-${workflowId}`;
export const timersStream = (name: string): string => `workflow-timers:${name}`;

/** An instance as folded from its stream. */
export interface Instance<State> {
  state: State;
  /** The stream's version: the expected version of the next record. */
  version: number;
  completed: boolean;
  /** Every input the instance recorded, by input id: a second delivery finds it here. */
  records: Map<string, InputRecord>;
}

export function emptyInstance<State>(state: State): Instance<State> {
  return { state, version: 0, completed: false, records: new Map() };
}

/** The instance after one more record; only handled inputs move the state on. */
export function applyRecord<State>(
  instance: Instance<State>,
  record: InputRecord,
  version: number,
  evolve: (state: State, input: never) => State,
): Instance<State> {
  instance.records.set(record.inputId, record);
  if (record.outcome === 'handled') {
    instance.state = evolve(instance.state, record.input as never);
    if (record.outputs.some((o) => o.type === 'complete')) instance.completed = true;
  }
  instance.version = version;
  return instance;
}

export function isInputRecord(event: RecordedEvent, name: string): boolean {
  return event.type === WorkflowInputRecorded.type && (event.data as InputRecord).workflow === name;
}
