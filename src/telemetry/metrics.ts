/**
 * klevdb's metrics: commands (duration by outcome, conflicts) and consumers
 * (events handled, dead letters, lag). Made from the meter provider
 * registered now (see PerProvider); every function returns at once when the
 * API is not installed. Metric attributes are low-cardinality on purpose: a
 * consumer's kind and name, a command's outcome, never a stream id.
 */
import { otelApi, PerProvider, SCOPE, type Attributes, type Meter } from './otel.js';
import { ATTR, type CommandOutcome, type ConsumerKind } from './names.js';

export const METRIC = {
  commandDuration: 'klevdb.command.duration',
  conflicts: 'klevdb.command.conflicts',
  eventsHandled: 'klevdb.consumer.events',
  deadLetters: 'klevdb.consumer.dead_letters',
  lag: 'klevdb.consumer.lag',
} as const;

/** One consumer (a projection, a subscription, ...): the attributes of its metrics and batch spans. */
export interface Consumer {
  readonly kind: ConsumerKind;
  readonly name: string;
  readonly attributes: Attributes;
}

export function consumer(kind: ConsumerKind, name: string): Consumer {
  return { kind, name, attributes: Object.freeze({ [ATTR.consumerKind]: kind, [ATTR.consumerName]: name }) };
}

/** The consumers whose lag the gauge reports, while they are registered. */
const lagSources = new Map<object, { consumer: Consumer; lag: () => Promise<number> }>();

const instruments = new PerProvider<object, ReturnType<typeof makeInstruments> | undefined>(() => {
  const api = otelApi()!;
  const meter = api.metrics.getMeter(SCOPE);
  // No meter provider registered: the API's no-op meter.
  return meter === api.createNoopMeter() ? undefined : makeInstruments(meter);
});

function makeInstruments(meter: Meter) {
  const lag = meter.createObservableGauge(METRIC.lag, {
    description:
      'Events between where a consumer resumes (its checkpoint or committed position) and the end of its source',
    unit: '{event}',
  });
  lag.addCallback(async (result) => {
    await Promise.all(
      [...lagSources.values()].map(async ({ consumer, lag }) => {
        // A source closed meanwhile has no lag to report this time.
        const value = await lag().catch(() => undefined);
        if (value !== undefined) result.observe(value, consumer.attributes);
      }),
    );
  });
  return {
    commandDuration: meter.createHistogram(METRIC.commandDuration, {
      description: 'How long commandHandler took for a command, retries included, by outcome',
      unit: 's',
    }),
    conflicts: meter.createCounter(METRIC.conflicts, {
      description: 'Concurrency conflicts met by commandHandler, retried or not',
      unit: '{conflict}',
    }),
    eventsHandled: meter.createCounter(METRIC.eventsHandled, {
      description: 'Events a consumer handled (in batches that finished)',
      unit: '{event}',
    }),
    deadLetters: meter.createCounter(METRIC.deadLetters, {
      description: 'Events a consumer passed over and recorded in its dead-letter log',
      unit: '{event}',
    }),
  };
}

function current() {
  const api = otelApi();
  return api === undefined ? undefined : instruments.get(api.metrics.getMeterProvider());
}

/** Whether a meter provider is registered (else every record is a no-op, and a caller may skip its work). */
export function metricsEnabled(): boolean {
  return current() !== undefined;
}

const OUTCOMES = new Map<CommandOutcome, Attributes>();
function outcomeAttributes(outcome: CommandOutcome): Attributes {
  let attributes = OUTCOMES.get(outcome);
  if (attributes === undefined) OUTCOMES.set(outcome, (attributes = Object.freeze({ [ATTR.outcome]: outcome })));
  return attributes;
}

const RETRIED = Object.freeze({ [ATTR.conflictRetried]: true });
const NOT_RETRIED = Object.freeze({ [ATTR.conflictRetried]: false });

export function recordCommand(outcome: CommandOutcome, seconds: number): void {
  current()?.commandDuration.record(seconds, outcomeAttributes(outcome));
}

export function recordConflict(retried: boolean): void {
  current()?.conflicts.add(1, retried ? RETRIED : NOT_RETRIED);
}

export function recordHandled(of: Consumer, events: number): void {
  if (events > 0) current()?.eventsHandled.add(events, of.attributes);
}

export function recordDeadLetter(of: Consumer): void {
  current()?.deadLetters.add(1, of.attributes);
}

/**
 * Reports `lag()` of `of` in the lag gauge until the returned function is
 * called (when the consumer stops or closes). No-op without the API.
 */
export function watchLag(of: Consumer, lag: () => Promise<number>): () => void {
  if (otelApi() === undefined) return () => undefined;
  current();
  const token = {};
  lagSources.set(token, { consumer: of, lag });
  return () => void lagSources.delete(token);
}
