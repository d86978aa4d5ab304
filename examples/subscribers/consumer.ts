// A consumer: a subscription to the live log at its own pace. A handler
// that takes time slows the reads down (backpressure) instead of letting
// messages pile up in memory.
import { takeWhile } from 'rxjs';
import type { BlockingLog, Message } from '../../src/index.js';
import { fromLog } from '../../src/streams/index.js';

export interface ConsumerSpec {
  name: string;
  /** Time spent on each message. */
  delayMs: number;
  /** Only the messages with this key. */
  key?: string;
}

export interface Consumption {
  /** The offsets handled, in order. */
  offsets: number[];
  /** The offset of the last message handled (from - 1 before the first). */
  position: () => number;
  /** Settles once the message at lastOffset is handled, or at stop(). */
  done: Promise<void>;
  /** Unsubscribes: no message is handled after it returns. */
  stop(): void;
}

/** Waits `ms`, or less when the subscription ends meanwhile. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Reads from `from` until it has handled the message at `lastOffset`.
 * `onMessage` is part of handling a message: the next one waits for it.
 */
export function consume(
  log: BlockingLog,
  spec: ConsumerSpec,
  from: number,
  lastOffset: number,
  onMessage?: (message: Message) => Promise<void> | void,
): Consumption {
  const offsets: number[] = [];
  let stop = (): void => undefined;
  const done = new Promise<void>((resolve, reject) => {
    if (from > lastOffset) return resolve();
    const subscription = fromLog(log, {
      offset: from,
      key: spec.key,
      // Small batches, so a slow consumer holds little and visibly falls behind.
      batchSize: 16,
      handle: async (message, signal) => {
        if (spec.delayMs > 0) await sleep(spec.delayMs, signal);
        if (signal.aborted) return;
        offsets.push(message.offset);
        await onMessage?.(message);
      },
    })
      .pipe(takeWhile((m) => m.offset < lastOffset, true))
      .subscribe({ complete: resolve, error: reject });
    stop = () => {
      subscription.unsubscribe();
      resolve();
    };
  });
  return { offsets, position: () => offsets.at(-1) ?? from - 1, done, stop: () => stop() };
}
