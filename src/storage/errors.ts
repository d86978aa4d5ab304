/** The kinds of failure the library reports on purpose; see API.md "Errors". */
export type LogErrorCode =
  | 'ERR_INVALID_OFFSET'
  | 'ERR_NOT_FOUND'
  | 'ERR_NO_INDEX'
  | 'ERR_READONLY'
  | 'ERR_CORRUPTED'
  | 'ERR_LOCKED'
  | 'ERR_CLOSED'
  | 'ERR_ABORTED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_RANGE';

/**
 * The one error class of the library. Callers branch on `code`; people read
 * `message`, which names what went wrong and, where it helps, what to do.
 */
export class LogError extends Error {
  readonly code: LogErrorCode;

  constructor(code: LogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogError';
    this.code = code;
  }
}

export function isLogError(err: unknown, code?: LogErrorCode): err is LogError {
  return err instanceof LogError && (code === undefined || err.code === code);
}

export const invalidArgument = (message: string): LogError => new LogError('ERR_INVALID_ARGUMENT', message);
export const corrupted = (message: string): LogError => new LogError('ERR_CORRUPTED', message);
export const invalidOffset = (message: string): LogError => new LogError('ERR_INVALID_OFFSET', message);
export const notFound = (message: string): LogError => new LogError('ERR_NOT_FOUND', message);
