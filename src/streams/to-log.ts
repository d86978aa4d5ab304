import { Observable, type OperatorFunction } from 'rxjs';
import { resolveToLogOptions, validateLogArgument, type ToLogOptions } from './options.js';

/** Anything with klevdb's publish: a Log, a BlockingLog, a TLog. */
export interface Publisher<T> {
  publish(messages: T[]): Promise<number>;
}

/**
 * A sink: publishes the source's values in batches of at most `maxCount`,
 * each sent at the latest `maxWait` ms after its first value arrived, and
 * emits the offset given to every value, in order. Publishes run one at a
 * time, so offsets follow the source's order. Completes once everything
 * buffered is published; a failed publish errors the stream with the log's
 * error, unchanged, and stops the source. A source error is passed on at
 * once: what is still buffered is not published, as nothing could report it.
 *
 * It cannot slow a push source down: values that arrive while a publish is
 * under way wait in memory. A source that can pace itself should wait for
 * the emitted offsets.
 */
export function toLog<T>(log: Publisher<T>, options?: ToLogOptions): OperatorFunction<T, number> {
  validateLogArgument('log', log, ['publish']);
  const { maxCount, maxWait } = resolveToLogOptions(options);
  return (source) =>
    new Observable<number>((subscriber) => {
      let buffer: T[] = [];
      let timer: NodeJS.Timeout | undefined;
      let publishing: Promise<void> = Promise.resolve();
      let failed = false;

      const flush = (): void => {
        clearTimeout(timer);
        timer = undefined;
        if (buffer.length === 0 || failed) return;
        const batch = buffer;
        buffer = [];
        publishing = publishing.then(async () => {
          if (failed || subscriber.closed) return;
          try {
            const next = await log.publish(batch);
            // publish answers the offset after the batch; the batch itself
            // took the offsets just below it.
            for (let offset = next - batch.length; offset < next; offset++) subscriber.next(offset);
          } catch (err) {
            failed = true;
            subscriber.error(err);
          }
        });
      };

      const upstream = source.subscribe({
        next(value) {
          buffer.push(value);
          if (buffer.length >= maxCount) flush();
          else if (timer === undefined) timer = setTimeout(flush, maxWait);
        },
        error(err: unknown) {
          clearTimeout(timer);
          subscriber.error(err);
        },
        complete() {
          flush();
          void publishing.then(() => {
            if (!failed) subscriber.complete();
          });
        },
      });
      return () => {
        clearTimeout(timer);
        upstream.unsubscribe();
      };
    });
}
