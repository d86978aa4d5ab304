/** How a reactor's event span ends, and what each retry adds to it. */
import { describeValue } from '../storage/backend-kit.js';
import { ATTR, type Trace } from '../telemetry/index.js';

export function retryAttributes(attempt: number, delayMs: number, error: unknown) {
  return {
    'klevdb.retry.attempt': attempt,
    'klevdb.retry.delay_ms': delayMs,
    'exception.message': error instanceof Error ? error.message : describeValue(error),
  };
}

/** Ends an event's span with how it ended; a dead letter or a failure with the last error. */
export function endItemTrace(
  trace: Trace,
  item: { dead?: unknown; done: boolean; failed?: boolean; attempts?: number; error?: unknown },
): void {
  if (!trace.recording) return;
  const outcome = item.dead ? 'dead_letter' : item.done ? 'handled' : item.failed ? 'failed' : 'stopped';
  trace.set({ [ATTR.eventOutcome]: outcome, [ATTR.eventAttempts]: item.attempts ?? 0 });
  trace.end(outcome === 'dead_letter' || outcome === 'failed' ? (item.error ?? new Error(outcome)) : undefined);
}
