/**
 * The plumbing of a wait that something else settles (the projection
 * catching up, a commit reaching a position): one place for the timeout, the
 * AbortSignal and the clean-up, whichever way the wait ends.
 */
export interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export interface WaitLimits {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A promise settled through the Waiter handed to `register`, or rejected
 * with `timedOut()` after `timeoutMs` or `aborted()` when the signal fires.
 * `unregister` runs once it settles, however that happens.
 */
export function waitFor(
  limits: WaitLimits,
  register: (waiter: Waiter) => void,
  unregister: (waiter: Waiter) => void,
  timedOut: () => Error,
  aborted: () => Error,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { timeoutMs, signal } = limits;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unregister(waiter);
    };
    const waiter: Waiter = {
      resolve: () => (done(), resolve()),
      reject: (err) => (done(), reject(err)),
    };
    const onAbort = (): void => waiter.reject(aborted());
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => waiter.reject(timedOut()), timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    register(waiter);
  });
}
