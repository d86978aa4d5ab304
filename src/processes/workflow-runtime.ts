/**
 * A running workflow: takes inputs (handle(), the event store, timers),
 * records each in its instance's stream with what decide made of it, then
 * carries out the outputs. The record comes first, in one append, so a crash
 * at any point leaves either nothing (the input comes again and is decided
 * then) or the record (its outputs are carried out again, each once in
 * effect, by their derived command ids).
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ConcurrencyError, type Event, type RecordedEvent } from '../eventstore/index.js';
import { KeyedMutex } from '../eventstore/backend-kit.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { checkInputEvent, checkKnownKeys, checkWorkflowId, describeValue } from './workflow-arguments.js';
import { inputTypeNames, workflow, type CommandRejected, type WorkflowDefinition } from './workflow-definition.js';
import { deliver, type DeliveryContext } from './workflow-delivery.js';
import { decidedOutputs, type WorkflowOutput } from './workflow-outputs.js';
import {
  appendRecord,
  applyRecord,
  emptyInstance,
  instanceStream,
  isInputRecord,
  WorkflowInputRecorded,
  type Instance,
  type InputRecord,
  type Outcome,
} from './workflow-records.js';
import { WorkflowTimers } from './workflow-timers.js';
import { resolveWorkflowOptions, type ResolvedWorkflowOptions, type WorkflowOptions } from './workflow-options.js';
import { WorkflowConsumer } from './workflow-consumer.js';
import { traceStep, WORKFLOW_SPAN } from './workflow-telemetry.js';
import { directoryCheckpoints, runnerCheckpoints, type OpenCheckpoints } from './workflow-checkpoints.js';
import type { ProcessContext, RunnerProcess } from '../projections/backend-kit.js';

export interface HandleInputOptions {
  /** The input's id: a second input with the same id is not handled again. Default: a recorded event's eventId, else a new UUID. */
  inputId?: string;
}

export interface WorkflowStepResult<State> {
  workflowId: string;
  inputId: string;
  /** handled, ignored (the instance had completed), failed (decide threw), or duplicate (recorded before: its outputs were made sure of). */
  status: Outcome | 'duplicate';
  outputs: WorkflowOutput[];
  /** The instance's state and completion once the input, and the inputs its outputs led to, were handled. */
  state: State;
  completed: boolean;
}

export interface WorkflowStatus {
  name: string;
  kind: 'workflow';
  state: 'stopped' | 'running' | 'failed';
  /** The next store position the consumer reads after a restart (-1: no consumer, or never started). */
  checkpoint: number;
  sourceHead: number;
  lagEvents: number;
  /** Scheduled inputs waiting for their time. */
  timers: number;
  /** Inputs being recorded or having their outputs carried out now. */
  inFlight: number;
  /** Inputs whose decide threw (recorded as failed). */
  failedInputs: number;
  /** Times the consumer was started again after it failed (options.restart). */
  restarts: number;
  deadLetters: 0;
  error?: Error;
}

/** A step as the runtime passes it around: a failed one carries decide's error. */
type Step<State> = Promise<WorkflowStepResult<State> & { error?: unknown }>;

export class Workflow<Input extends Event, State, Command = unknown> implements RunnerProcess {
  readonly name: string;
  private readonly definition: WorkflowDefinition<Input, State, Command>;
  private readonly options: ResolvedWorkflowOptions;
  private readonly inputTypes: Set<string>;
  private readonly instances: LRUCache<string, Instance<State>>;
  /** Records whose outputs this process carried out: a second delivery of their input does nothing. */
  private readonly delivered: LRUCache<string, true>;
  private readonly inFlight = new Map<string, Step<State>>();
  private readonly turns = new KeyedMutex();
  private readonly timers: WorkflowTimers;
  private consumer: WorkflowConsumer | undefined;
  private attached = false;
  private readonly delivery: DeliveryContext;
  private started = false;
  private failedInputs = 0;

  constructor(
    definition: WorkflowDefinition<Input, State, Command>,
    options: WorkflowOptions,
    /** The function the caller called, for the errors. */
    caller: 'startWorkflow' | 'createWorkflow' = 'startWorkflow',
  ) {
    this.definition = workflow(definition);
    this.name = definition.name;
    this.options = resolveWorkflowOptions(definition, options, caller);
    this.inputTypes = inputTypeNames(definition.inputs);
    this.instances = new LRUCache({ max: this.options.cachedInstances });
    this.delivered = new LRUCache({ max: Math.max(1000, this.options.cachedInstances * 10) });
    this.timers = new WorkflowTimers(
      this.name,
      this.options.store,
      (t) => this.quietly(this.step(t.workflowId, `timer:${t.timerId}`, t.input as Input), t.workflowId),
      (err, t) => this.report(err, t.workflowId),
    );
    this.delivery = {
      store: this.options.store,
      commands: this.options.commands,
      inputTypes: this.inputTypes,
      timers: this.timers,
      offer: (event) => this.offer(event),
      refused: (workflowId, inputId, input) => this.quietly(this.step(workflowId, inputId, input), workflowId),
    };
    const { checkpoints } = this.options;
    if (checkpoints !== undefined) this.consumer = this.consumerAt(directoryCheckpoints(checkpoints));
  }

  /**
   * Called by ProjectionRunner.addProcess: the consumer keeps its checkpoint
   * in the runner's store, and the workflow starts, stops and closes with
   * the runner.
   */
  attach(context: ProcessContext): void {
    if (this.attached) throw invalidArgument(`workflow ${this.name} is already on a runner`);
    if (this.consumer)
      throw invalidArgument(
        `workflow ${this.name}: on a runner the checkpoint lives in the runner's store; leave options.checkpoints out`,
      );
    if (this.options.log === undefined)
      throw invalidArgument(`workflow ${this.name}: a runner consumes the store, which needs a log (openEventStore)`);
    this.attached = true;
    this.consumer = this.consumerAt(runnerCheckpoints(context.store, this.name));
  }

  private consumerAt(checkpoints: OpenCheckpoints): WorkflowConsumer {
    return new WorkflowConsumer(
      this.options.log!,
      this.options.store,
      { name: this.name, checkpoints, batchSize: this.options.batchSize, restart: this.options.restart },
      (event) => this.consume(event),
      (err) => this.report(err),
    );
  }

  /**
   * Hands an input to the instance getWorkflowId names (status 'skipped'
   * and nothing recorded when it names none). Resolves once the input is
   * recorded and its outputs carried out, including what the events those
   * outputs produced decided in turn. Rejects with decide's error when decide
   * threw (the input is then recorded as failed and not decided again).
   */
  async handle(
    input: Input,
    options: HandleInputOptions = {},
  ): Promise<WorkflowStepResult<State> | { status: 'skipped' }> {
    checkInputEvent('handle: input', input);
    if (typeof options !== 'object' || options === null)
      throw invalidArgument(`handle: options must be an object, got ${describeValue(options)}`);
    checkKnownKeys('handle: options', options, ['inputId']);
    const inputId = options.inputId ?? (input as Partial<RecordedEvent>).meta?.eventId ?? randomUUID();
    checkWorkflowId('handle: options.inputId', inputId);
    const workflowId = this.definition.getWorkflowId(input);
    if (workflowId === undefined) return { status: 'skipped' };
    checkWorkflowId(`workflow ${this.name}: getWorkflowId's answer`, workflowId);
    const { error, ...result } = await this.step(workflowId, inputId, input);
    if (result.status === 'failed') throw error;
    return result;
  }

  /** The instance's state as recorded (initialState for an instance that has none). */
  async instance(workflowId: string): Promise<{ state: State; completed: boolean; inputs: number }> {
    checkWorkflowId('instance: workflowId', workflowId);
    const loaded = await this.turns.run(workflowId, () => this.load(workflowId));
    return { state: loaded.state, completed: loaded.completed, inputs: loaded.records.size };
  }

  /** Arms the recorded timers and, with `checkpoints`, starts consuming the store. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.timers.start();
      await this.consumer?.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.consumer?.stop();
    await this.timers.stop();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  close(): Promise<void> {
    return this.stop();
  }

  /** Resolves once the consumer has handled everything in the store and no input is in flight. */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A failed consumer that will start again is waited for; one that will not is the answer.
      const error = this.consumer?.error;
      if (error && !this.consumer!.restartPending) throw error;
      const head = await this.options.store.headPosition();
      const consumed = !error && (!this.consumer?.active || this.consumer.committed >= head);
      if (consumed && this.inFlight.size === 0) return;
      if (Date.now() > deadline)
        throw new Error(
          `workflow ${this.name}: not caught up after ${timeoutMs} ms (${this.inFlight.size} in flight${error ? `; the consumer failed and waits to start again: ${error.message}` : ''})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async status(): Promise<WorkflowStatus> {
    const head = await this.options.store.headPosition();
    const checkpoint = this.consumer?.committed ?? -1;
    const error = this.consumer?.error;
    return {
      name: this.name,
      kind: 'workflow',
      state: error ? 'failed' : this.started ? 'running' : 'stopped',
      checkpoint,
      sourceHead: head,
      lagEvents: checkpoint < 0 ? 0 : Math.max(0, head - checkpoint),
      timers: this.timers.pending,
      inFlight: this.inFlight.size,
      failedInputs: this.failedInputs,
      restarts: this.consumer?.restarts ?? 0,
      deadLetters: 0,
      ...(error ? { error } : {}),
    };
  }

  /** One event from the store: an input for some instance, or one of this workflow's records to carry out. */
  private async consume(event: RecordedEvent): Promise<void> {
    if (isInputRecord(event, this.name)) {
      const record = event.data as InputRecord;
      await this.once(record.workflowId, record.inputId, () =>
        traceStep(this.name, record.workflowId, record.inputId, event, async (trace) => {
          await trace.child(WORKFLOW_SPAN.deliver, undefined, () => this.carryOut(record));
          return this.resultOf(record, 'duplicate');
        }),
      );
    } else if (this.inputTypes.has(event.type)) {
      await this.offer(event);
    }
  }

  /** An event for whichever instance it belongs to; decide's failures are reported, not thrown. */
  private async offer(event: RecordedEvent): Promise<void> {
    const workflowId = this.definition.getWorkflowId(event as unknown as Input);
    if (workflowId === undefined) return;
    checkWorkflowId(`workflow ${this.name}: getWorkflowId's answer`, workflowId);
    await this.quietly(this.step(workflowId, event.meta.eventId, event as unknown as Input), workflowId);
  }

  private step(workflowId: string, inputId: string, input: Input | CommandRejected<Command> | Event): Step<State> {
    return this.once(workflowId, inputId, () =>
      traceStep(this.name, workflowId, inputId, input, async (trace) => {
        const { record, fresh, error } = await trace.child(WORKFLOW_SPAN.record, undefined, () =>
          this.turns.run(workflowId, () => this.record(workflowId, inputId, input)),
        );
        await trace.child(WORKFLOW_SPAN.deliver, undefined, () => this.carryOut(record));
        return { ...this.resultOf(record, fresh ? record.outcome : 'duplicate'), ...(fresh ? { error } : {}) };
      }),
    );
  }

  /** One piece of work per input at a time: a second delivery while the first is under way waits for it. */
  private once(workflowId: string, inputId: string, work: () => Step<State>): Step<State> {
    const key = `${workflowId}\u0000${inputId}`;
    const running = this.inFlight.get(key);
    if (running) return running.then((r) => ({ ...r, status: 'duplicate' as const }));
    const step = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, step);
    return step;
  }

  /** The input's record: found when it was recorded before, else decided and appended now. */
  private async record(
    workflowId: string,
    inputId: string,
    input: Event,
  ): Promise<{ record: InputRecord; fresh: boolean; error?: unknown }> {
    const streamId = instanceStream(this.name, workflowId);
    for (;;) {
      const instance = await this.load(workflowId);
      const found = instance.records.get(inputId);
      if (found) return { record: found, fresh: false };
      const base = { workflow: this.name, workflowId, inputId, input: { type: input.type, data: input.data } };
      let record: InputRecord;
      let error: unknown;
      if (instance.completed) {
        record = { ...base, outcome: 'ignored', outputs: [], reason: 'the instance had completed' };
      } else {
        try {
          const decided = this.definition.decide(base.input as Input, instance.state);
          record = { ...base, outcome: 'handled', outputs: decidedOutputs(decided, this.options.targets, Date.now()) };
        } catch (err) {
          error = err;
          record = {
            ...base,
            outcome: 'failed',
            outputs: [],
            reason: err instanceof Error ? err.message : String(err),
          };
        }
      }
      try {
        // The expected version is the guard: a writer that got in first (another process) makes it a conflict, and the reload finds its record.
        const appended = await appendRecord(() =>
          this.options.store.appendToStream(streamId, WorkflowInputRecorded(record), {
            expectedVersion: instance.version,
            correlationId: workflowId,
          }),
        );
        applyRecord(instance, record, appended.nextExpectedVersion, this.definition.evolve);
      } catch (err) {
        this.instances.delete(workflowId);
        if (err instanceof ConcurrencyError) continue;
        throw err;
      }
      if (record.outcome === 'failed') this.failedInputs++;
      return { record, fresh: true, error };
    }
  }

  private async load(workflowId: string): Promise<Instance<State>> {
    const cached = this.instances.get(workflowId);
    if (cached) return cached;
    const { events, version } = await this.options.store.readStream(instanceStream(this.name, workflowId));
    const instance = emptyInstance(this.definition.initialState());
    for (const event of events) {
      if (isInputRecord(event, this.name))
        applyRecord(instance, event.data as InputRecord, event.meta.streamVersion, this.definition.evolve);
    }
    instance.version = version;
    this.instances.set(workflowId, instance);
    return instance;
  }

  private async carryOut(record: InputRecord): Promise<void> {
    const key = `${record.workflowId}\u0000${record.inputId}`;
    if (record.outcome !== 'handled' || record.outputs.length === 0 || this.delivered.has(key)) return;
    await deliver(this.delivery, record);
    this.delivered.set(key, true);
  }

  private resultOf(record: InputRecord, status: WorkflowStepResult<State>['status']): WorkflowStepResult<State> {
    const instance = this.instances.get(record.workflowId);
    return {
      workflowId: record.workflowId,
      inputId: record.inputId,
      status,
      outputs: record.outputs,
      state: instance?.state ?? this.definition.initialState(),
      completed: instance?.completed ?? false,
    };
  }

  /** Where nobody awaits the answer (events from the store, timers, refusals), a decide that threw is reported. */
  private async quietly(step: Step<State>, workflowId: string): Promise<void> {
    const { status, error } = await step;
    if (status === 'failed') this.report(error, workflowId);
  }

  private report(err: unknown, workflowId?: string): void {
    this.options.onError(err instanceof Error ? err : new Error(String(err)), { workflow: this.name, workflowId });
  }
}
