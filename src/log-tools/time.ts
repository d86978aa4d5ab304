/** Times as people type them, for the CLI's options and the inspector's query parameters. */
import { LogError } from '../storage/index.js';

/**
 * A time as microseconds since the epoch: ISO 8601 (`2024-05-01`,
 * `2024-05-01T12:00:00Z`, up to 6 fractional digits kept exactly; without a
 * zone it is local time), or `now`. Anything else is a LogError
 * ERR_INVALID_ARGUMENT naming `what`.
 */
export function parseTimeMicros(text: string, what: string): number {
  const t = text.trim();
  if (t.toLowerCase() === 'now') return Date.now() * 1000;
  const m = /^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(t);
  const ms = m ? Date.parse(`${m[1]!.replace(' ', 'T')}${m[3] ?? ''}`) : NaN;
  if (!m || Number.isNaN(ms)) {
    throw new LogError(
      'ERR_INVALID_ARGUMENT',
      `${what} must be an ISO 8601 time like 2024-05-01T12:00:00Z (or 'now'), got '${text}'`,
    );
  }
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  const micros = ms * 1000 + Number(fraction);
  if (!Number.isSafeInteger(micros)) throw new LogError('ERR_INVALID_ARGUMENT', `${what} is out of range: '${text}'`);
  return micros;
}
