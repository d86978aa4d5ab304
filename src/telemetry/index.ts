// Internal: OpenTelemetry spans and metrics for the modules above storage
// (aggregates, projections, streams, processes). Not a public entry: what
// is recorded is documented in docs/observability.md.
export { ATTR, type CommandOutcome, type ConsumerKind } from './names.js';
export { NO_TRACE, startTrace, type Trace } from './trace.js';
export {
  METRIC,
  consumer,
  metricsEnabled,
  recordCommand,
  recordConflict,
  recordDeadLetter,
  recordHandled,
  watchLag,
  type Consumer,
} from './metrics.js';
export { CorrelationIds, eventAttributes, traceBatch, type BatchInfo } from './batch.js';
export { otelApi } from './otel.js';
