/**
 * The event types a store knows: validates events before they are written,
 * and upcasts then validates them wherever they are read, so `evolve`,
 * subscriptions and projections only ever see the current shape.
 */
import type { ZodError } from 'zod';
import { invalidArgument } from '../storage/backend-kit.js';
import { InvalidEventError } from './errors.js';
import type { AnyEventType, Event } from './event-type.js';
import type { StoredEnvelope } from './envelope.js';

export interface ValidatedEvent {
  type: string;
  schemaVersion: number;
  data: unknown;
}

export class EventRegistry {
  private readonly types = new Map<string, AnyEventType>();
  /** No types declared: envelopes are checked, data is passed through untouched. */
  readonly open: boolean;

  constructor(types?: readonly AnyEventType[]) {
    this.open = types === undefined;
    if (types !== undefined && !Array.isArray(types))
      throw invalidArgument('events must be an array of event types (defineEvent)');
    // Checked as unknown: JavaScript callers can pass anything.
    const list: readonly unknown[] = types ?? [];
    for (const t of list) {
      const type: unknown = typeof t === 'function' ? (t as { type?: unknown }).type : undefined;
      if (typeof type !== 'string') throw invalidArgument('events must be event types made by defineEvent');
      if (this.types.has(type)) throw invalidArgument(`event type "${type}" is declared twice`);
      this.types.set(type, t as AnyEventType);
    }
  }

  /** Rejects an event before anything is written; returns the data as the schema parsed it. */
  validate(event: Event, index: number, streamId: string): ValidatedEvent {
    const where = `#${index} of the append to "${streamId}"`;
    if (typeof event !== 'object' || event === null)
      throw new InvalidEventError(undefined, '', 'not an event object', undefined, where, MAKE_EVENTS);
    const { type, data } = event;
    if (typeof type !== 'string' || type.length === 0) {
      throw new InvalidEventError(undefined, 'type', 'must be a non-empty string', undefined, where, MAKE_EVENTS);
    }
    if (this.open) {
      if (data === undefined)
        throw new InvalidEventError(
          type,
          'data',
          'is missing',
          undefined,
          where,
          'give the event a data field (any JSON value)',
        );
      return { type, schemaVersion: 1, data };
    }
    const eventType = this.types.get(type);
    if (!eventType) throw new InvalidEventError(type, 'type', this.unknownType(), undefined, where, declare(type));
    const result = eventType.schema.safeParse(data);
    if (!result.success) {
      const { path, reason } = firstIssue(result.error);
      throw new InvalidEventError(
        type,
        path,
        reason,
        undefined,
        where,
        `fix the event's ${path} to match the "${type}" schema`,
      );
    }
    if (result.data === undefined)
      throw new InvalidEventError(
        type,
        'data',
        'is undefined, which JSON cannot store',
        undefined,
        where,
        `make the "${type}" schema output a JSON value`,
      );
    return { type, schemaVersion: eventType.version, data: result.data };
  }

  /** The envelope's data in the current shape of its type, or an error naming offset, type and path. */
  currentData(envelope: StoredEnvelope): unknown {
    if (this.open) return envelope.data;
    const { type, schemaVersion, position } = envelope;
    const fail = (path: string, reason: string, todo?: string): never => {
      throw new InvalidEventError(type, path, reason, position, undefined, todo);
    };
    const eventType = this.types.get(type);
    if (!eventType)
      return fail('type', this.unknownType(), `${declare(type)}, or open the store without events to read raw data`);
    if (schemaVersion > eventType.version) {
      fail(
        'schemaVersion',
        `version ${schemaVersion} is newer than this code's schema (version ${eventType.version})`,
        'upgrade this reader to the code that wrote it',
      );
    }
    let data = envelope.data;
    for (let v = schemaVersion; v < eventType.version; v++) {
      const upcaster = eventType.upcasters[v];
      if (!upcaster)
        fail(
          'schemaVersion',
          `no upcaster from version ${v} (the schema is at version ${eventType.version})`,
          `add upcasters[${v}] to defineEvent("${type}")`,
        );
      try {
        data = upcaster(data);
      } catch (err) {
        fail(
          'data',
          `the upcaster from version ${v} failed: ${(err as Error).message ?? String(err)}`,
          `fix upcasters[${v}] of defineEvent("${type}") for this stored data`,
        );
      }
    }
    const result = eventType.schema.safeParse(data);
    if (result.success) return result.data;
    const { path, reason } = firstIssue(result.error);
    const upcast = schemaVersion < eventType.version ? ` (after upcasting from version ${schemaVersion})` : '';
    return fail(path, reason + upcast);
  }

  private unknownType(): string {
    return `unknown event type; the store knows ${[...this.types.keys()].map((t) => `"${t}"`).join(', ') || 'none'}`;
  }
}

/** What to do about an event that is not made by an event type. */
const MAKE_EVENTS = 'append events made by an event type, e.g. Deposited({ amount: 1 }), or { type, data } objects';

const declare = (type: string): string => `declare "${type}" with defineEvent and list it in the store's events option`;

function firstIssue(error: ZodError): { path: string; reason: string } {
  const [issue, ...rest] = error.issues;
  const path = ['data', ...(issue?.path ?? []).map(String)].join('.');
  const more = rest.length > 0 ? ` (and ${rest.length} more issue${rest.length > 1 ? 's' : ''})` : '';
  return { path, reason: (issue?.message ?? 'invalid') + more };
}
