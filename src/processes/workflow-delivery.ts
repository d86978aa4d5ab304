/**
 * Carries out the outputs of one recorded input, in order. Each gets an id
 * derived from the workflow, the instance, the input and its place in the
 * list, used as the command id of the command or append it makes: carrying
 * out a record twice (after a crash, or a second delivery of its input)
 * applies each output once in effect.
 */
import { ConcurrencyError, type Event, type EventStore, type RecordedEvent } from '../eventstore/index.js';
import { isKlevdbError } from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { describeValue, isThenable } from './workflow-arguments.js';
import type { CommandRejected } from './workflow-definition.js';
import type { InputRecord } from './workflow-records.js';
import type { WorkflowTimers } from './workflow-timers.js';

/** A command handler as commandHandler makes it; any function of this shape will do. */
export type WorkflowCommandHandler = (
  streamId: string,
  command: never,
  options: { commandId: string; correlationId?: string; causationId?: string },
) => Promise<{ events: readonly RecordedEvent[] }>;

export interface DeliveryContext {
  store: EventStore<Event>;
  commands: Readonly<Record<string, WorkflowCommandHandler>>;
  /** The type names of the workflow's inputs: events an output produced of these types go back in at once. */
  inputTypes: ReadonlySet<string>;
  timers: WorkflowTimers;
  /** Hands an event an output produced to the instance it belongs to. */
  offer(event: RecordedEvent): Promise<unknown>;
  /** Hands a refused command back to the instance that sent it. */
  refused(workflowId: string, inputId: string, input: CommandRejected): Promise<unknown>;
}

/** The id of output `index` of a record: its command id wherever it goes. */
export const outputId = (record: InputRecord, index: number): string =>
  `${record.workflow}/${record.workflowId}/${record.inputId}/${index}`;

export async function deliver(ctx: DeliveryContext, record: InputRecord): Promise<void> {
  const ids = { correlationId: record.workflowId, causationId: record.inputId };
  for (const [index, output] of record.outputs.entries()) {
    const commandId = outputId(record, index);
    switch (output.type) {
      case 'send': {
        const handler = ctx.commands[output.target];
        if (!handler)
          throw invalidArgument(
            `workflow ${record.workflow}: no command handler "${output.target}" was given (commands)`,
          );
        let events: readonly RecordedEvent[];
        try {
          events = await outlastConflicts(async () => {
            const pending: unknown = handler(output.streamId, output.command as never, { commandId, ...ids });
            if (!isThenable(pending))
              throw invalidArgument(
                `workflow ${record.workflow}: commands.${output.target} must return a promise (be async), it returned ${describeValue(pending)}`,
              );
            return ((await pending) as { events: readonly RecordedEvent[] }).events;
          });
        } catch (err) {
          // The store failing, a conflict retried out, a bad argument: the output is carried out again later.
          if (isKlevdbError(err)) throw err;
          // Anything else is the target's rules refusing the command: the instance hears of it.
          await ctx.refused(record.workflowId, `${commandId}:refused`, {
            type: 'CommandRejected',
            data: {
              target: output.target,
              streamId: output.streamId,
              command: output.command,
              commandId,
              error: errorData(err),
            },
          });
          continue;
        }
        await offerInputs(ctx, events);
        break;
      }
      case 'append': {
        const appended = await ctx.store.appendToStream(output.streamId, output.events as Event[], {
          commandId,
          ...ids,
        });
        await offerInputs(ctx, appended.events);
        break;
      }
      case 'schedule':
        await ctx.timers.schedule(
          {
            workflow: record.workflow,
            timerId: commandId,
            workflowId: record.workflowId,
            at: output.at!,
            input: output.input,
          },
          ids,
        );
        break;
      case 'complete':
        break;
    }
  }
}

/** Conflicts the handler's own retries did not outlast are tried again after a pause (contention passes; the command id keeps it safe). */
const CONFLICT_RETRIES = 20;

async function outlastConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || retry >= CONFLICT_RETRIES) throw err;
      // Jittered, growing up to ~100 ms: the writers that collided do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 5 * 2 ** retry)));
    }
  }
}

async function offerInputs(ctx: DeliveryContext, events: readonly RecordedEvent[]): Promise<void> {
  for (const event of events) if (ctx.inputTypes.has(event.type)) await ctx.offer(event);
}

function errorData(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}
