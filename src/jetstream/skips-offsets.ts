/**
 * The capability mirror looks for in its destination: moving the next offset
 * without storing messages (JetStreamLog.skipTo). It lives apart from both so
 * that mirror needs no import of the log (the log's backup uses mirror).
 * Logs are registered rather than recognised by a method name, so a user's
 * Log that happens to have a `skipTo` is still mirrored the generic way.
 */
export interface SkipsOffsets {
  /** Makes `nextOffset` the log's next offset; no-op when it is already there. */
  skipTo(nextOffset: number, timeMicros?: number): Promise<void>;
}

const registered = new WeakSet<object>();

/** Declares that `log` keeps its offsets aligned with skipTo (JetStreamLog's constructor does). */
export function declareSkipsOffsets(log: SkipsOffsets): void {
  registered.add(log);
}

export function skipsOffsets(log: object): log is SkipsOffsets {
  return registered.has(log);
}
