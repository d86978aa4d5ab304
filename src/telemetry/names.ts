/**
 * The attribute keys of klevdb's spans and metrics, in one place so the
 * modules that record them and docs/observability.md agree.
 */
export const ATTR = {
  streamId: 'klevdb.stream.id',
  streamVersion: 'klevdb.stream.version',
  commandType: 'klevdb.command.type',
  commandId: 'klevdb.command.id',
  correlationId: 'klevdb.correlation.id',
  causationId: 'klevdb.causation.id',
  /** The distinct correlation ids of a batch's events (the first few). */
  correlationIds: 'klevdb.correlation.ids',
  expectedVersion: 'klevdb.command.expected_version',
  attempt: 'klevdb.command.attempt',
  retries: 'klevdb.command.retries',
  outcome: 'klevdb.command.outcome',
  eventsAppended: 'klevdb.events.appended',
  conflictRetried: 'klevdb.conflict.retried',
  conflictExpected: 'klevdb.conflict.expected_version',
  conflictActual: 'klevdb.conflict.actual_version',
  consumerKind: 'klevdb.consumer.kind',
  consumerName: 'klevdb.consumer.name',
  batchSize: 'klevdb.batch.size',
  batchOffset: 'klevdb.batch.offset',
  batchNextOffset: 'klevdb.batch.next_offset',
  batchCommitted: 'klevdb.batch.committed',
  eventOffset: 'klevdb.event.offset',
  eventType: 'klevdb.event.type',
  eventId: 'klevdb.event.id',
  eventKey: 'klevdb.event.key',
  /** How many times a reactor's handler ran for the event. */
  eventAttempts: 'klevdb.event.attempts',
  /** How a reactor's event ended: handled, dead_letter, failed, stopped. */
  eventOutcome: 'klevdb.event.outcome',
  workflowId: 'klevdb.workflow.id',
  workflowInputId: 'klevdb.workflow.input_id',
  /** How a workflow step ended: handled, ignored, failed, duplicate. */
  workflowOutcome: 'klevdb.workflow.outcome',
  workflowOutputs: 'klevdb.workflow.outputs',
} as const;

/** What consumes a log: the `klevdb.consumer.kind` of its batches and metrics. */
export type ConsumerKind = 'projection' | 'subscription' | 'reactor' | 'workflow';

/** How a command ended: `klevdb.command.outcome`. */
export type CommandOutcome = 'applied' | 'already_applied' | 'rejected' | 'conflict' | 'error';
