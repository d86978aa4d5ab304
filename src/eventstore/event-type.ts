/**
 * Event types: a name, a zod schema for the current shape of the data, and
 * the upcasters that bring data written by older schema versions up to it.
 * Declaring them together keeps a schema change and its migration in one place.
 */
import type { z, ZodType } from 'zod';
import { invalidArgument } from '../storage/backend-kit.js';

/** What `decide` returns and `evolve` receives: plain data, no metadata. */
export interface Event<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/** Turns data of schema version `n` into data of version `n + 1`. */
// The input is whatever an older version of the code wrote, so it cannot be typed here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Upcaster = (data: any) => unknown;

export interface EventTypeOptions {
  /** The schema version appends write (default 1). Bump it when the schema changes shape. */
  version?: number;
  /** Keyed by the version they upgrade from: `{ 1: (v1) => v2, 2: (v2) => v3 }`. */
  upcasters?: Record<number, Upcaster>;
}

/** An event type is also its own factory: `Deposited({ amount: 10 })`. */
export interface EventType<Type extends string = string, Data = unknown> {
  (data: Data): Event<Type, Data>;
  readonly type: Type;
  readonly version: number;
  readonly schema: ZodType<Data>;
  readonly upcasters: Readonly<Record<number, Upcaster>>;
  is(event: Event): event is Event<Type, Data>;
}

// Inference needs `any` here: a list of event types mixes unrelated data types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEventType = EventType<string, any>;

/** The event union a list of event types declares. */
export type EventOf<T extends AnyEventType> = T extends EventType<infer Type, infer Data> ? Event<Type, Data> : never;
export type EventsOf<Types extends readonly AnyEventType[]> = EventOf<Types[number]>;

export function defineEvent<const Type extends string, S extends ZodType>(
  type: Type,
  schema: S,
  options: EventTypeOptions = {},
): EventType<Type, z.output<S>> {
  if (typeof type !== 'string' || type.length === 0)
    throw invalidArgument('defineEvent: type must be a non-empty string');
  if (schema === null || typeof schema !== 'object' || typeof (schema as ZodType).safeParse !== 'function') {
    throw invalidArgument(`defineEvent("${type}"): schema must be a zod schema`);
  }
  const version = options.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalidArgument(`defineEvent("${type}"): version must be an integer >= 1, got ${String(version)}`);
  }
  const upcasters = { ...options.upcasters };
  for (const [from, fn] of Object.entries(upcasters)) {
    const n = Number(from);
    if (!Number.isSafeInteger(n) || n < 1 || n >= version) {
      throw invalidArgument(
        `defineEvent("${type}"): upcaster keys are the versions they upgrade from, 1 to ${version - 1}; got ${from}`,
      );
    }
    if (typeof fn !== 'function')
      throw invalidArgument(`defineEvent("${type}"): upcaster from version ${from} must be a function`);
  }
  const create = (data: z.output<S>): Event<Type, z.output<S>> => ({ type, data });
  return Object.assign(create, {
    type,
    version,
    schema: schema as ZodType<z.output<S>>,
    upcasters: Object.freeze(upcasters),
    is: (event: Event): event is Event<Type, z.output<S>> => event.type === type,
  });
}
