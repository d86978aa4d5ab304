/**
 * The context a reactor's handler gets with each try. A no-op handler's
 * cost is mostly the reactor's own per-event work, so what a handler may
 * never read (the idempotency key string, the default key of a run that
 * does not schedule by key) is made only when read.
 */
import type { ReactorContext, ResolvedReactor } from './reactor-options.js';

/** What the context reads of the event being handled. */
export interface ContextItem<E> {
  readonly offset: number;
  readonly event: E;
  /** Undefined until read when the run does not need it (one slot, the default key). */
  key: string | undefined;
}

/** The event's key, made now if the run left it for later (the default key never throws). */
export function keyOf<E>(def: ResolvedReactor<E>, item: ContextItem<E>): string {
  return (item.key ??= def.key(item.event) as string);
}

export class HandlerContext<E> implements ReactorContext {
  readonly offset: number;

  constructor(
    private readonly def: ResolvedReactor<E>,
    private readonly item: ContextItem<E>,
    readonly attempt: number,
    readonly signal: AbortSignal,
  ) {
    this.offset = item.offset;
  }

  get key(): string {
    return keyOf(this.def, this.item);
  }

  get idempotencyKey(): string {
    return this.def.idempotencyKey(this.item.event, this.item.offset);
  }

  /** Logged as JSON, it shows what the handler can read. */
  toJSON(): Omit<ReactorContext, 'signal'> & { signal: { aborted: boolean } } {
    return {
      idempotencyKey: this.idempotencyKey,
      offset: this.offset,
      key: this.key,
      attempt: this.attempt,
      signal: { aborted: this.signal.aborted },
    };
  }
}
