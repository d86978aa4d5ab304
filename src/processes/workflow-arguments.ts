// Argument checks of the workflow functions: each failure is an
// ERR_INVALID_ARGUMENT naming the argument and what was passed.
import { describeValue, invalidArgument } from '../storage/backend-kit.js';

export { describeValue };

/** Unknown keys are most often typos (`input` for `inputs`): refused by name. */
export function checkKnownKeys(what: string, options: object, known: readonly string[]): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    throw invalidArgument(
      `${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${known.join(', ')}`,
    );
}

/** A workflow's name names streams and a checkpoint file: one path component of plain characters. */
export function checkWorkflowName(arg: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw invalidArgument(`${arg} must be a non-empty string, got ${describeValue(name)}`);
  if (/[/\\]/.test(name))
    throw invalidArgument(
      `${arg} must not contain path separators (it names a checkpoint file), got ${JSON.stringify(name)}`,
    );
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name))
    throw invalidArgument(
      `${arg} must be 1 to 100 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(name)}`,
    );
}

/** An instance id from getWorkflowId or a caller: a non-empty string. */
export function checkWorkflowId(arg: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0)
    throw invalidArgument(`${arg} must be a non-empty string, got ${describeValue(id)}`);
}

/** An input as handle takes it: an event, `{ type, data }`. */
export function checkInputEvent(arg: string, input: unknown): asserts input is { type: string; data: unknown } {
  if (typeof input !== 'object' || input === null)
    throw invalidArgument(`${arg} must be an event ({ type, data }), got ${describeValue(input)}`);
  const { type, data } = input as { type?: unknown; data?: unknown };
  if (typeof type !== 'string' || type.length === 0)
    throw invalidArgument(`${arg}.type must be a non-empty string, got ${describeValue(type)}`);
  if (data === undefined) throw invalidArgument(`${arg}.data is missing (an event carries data, even {})`);
}

export const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';
