/**
 * The OpenTelemetry API, when the application installed it. It is an
 * optional peer: without it every span and metric below is a no-op, and
 * nothing is logged or thrown. It is required (synchronously, through
 * createRequire) at the first command or batch, never imported at the top
 * of a module, so a klevdb install without it loads and runs as before.
 *
 * The API keeps its providers on globalThis, so the copy loaded here sees
 * the SDK the application registered however it imported the API. Tracer
 * and instruments are cached per registered provider: the metrics API has
 * no proxy, so instruments made before the SDK was registered would stay
 * no-ops, and a test that swaps providers gets fresh ones.
 */
import { createRequire } from 'node:module';
import type * as Otel from '@opentelemetry/api';
import { isMissing } from '../optional-peer.js';

export type OtelApi = typeof Otel;
export type { Attributes, Context, Meter, Span, Tracer } from '@opentelemetry/api';

const PACKAGE = '@opentelemetry/api';
/** The instrumentation scope every span and instrument is made under. */
export const SCOPE = 'klevdb';

/** null: looked for and not installed (or unusable). */
let loaded: OtelApi | null | undefined;

/** The API, or undefined when it is not installed: the caller records nothing. */
export function otelApi(): OtelApi | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function load(): OtelApi | null {
  try {
    return createRequire(import.meta.url)(PACKAGE) as OtelApi;
  } catch (err) {
    if (!isMissing(err, PACKAGE)) {
      // Installed but broken: say so once, and carry on without telemetry rather than fail commands.
      process.emitWarning(`klevdb: ${PACKAGE} could not be loaded, so no telemetry is recorded: ${String(err)}`, {
        code: 'KLEVDB_TELEMETRY',
      });
    }
    return null;
  }
}

/** A value made from the provider registered now, made again when another one is registered. */
export class PerProvider<P, T> {
  private provider: P | undefined;
  private value: T | undefined;
  private made = false;

  constructor(private readonly make: (provider: P) => T) {}

  get(provider: P): T {
    if (provider !== this.provider || !this.made) {
      this.value = this.make(provider);
      this.provider = provider;
      this.made = true;
    }
    return this.value as T;
  }
}
