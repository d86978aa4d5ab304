/**
 * Spans, as the instrumented modules use them: a Trace is one span with its
 * context, whose children run a function inside a span of their own (so
 * spans the user's code makes nest under them, given a context manager).
 * With no API installed, or no SDK recording, a Trace is NO_TRACE: its
 * methods call the function and do nothing else.
 */
import { inspect } from 'node:util';
import {
  otelApi,
  PerProvider,
  SCOPE,
  type Attributes,
  type Context,
  type OtelApi,
  type Span,
  type Tracer,
} from './otel.js';

export interface Trace {
  /** Whether the span is recorded: attributes that cost something to gather are worth it only then. */
  readonly recording: boolean;
  /** Runs `fn` in a child span `name`, ended when `fn` returns or its promise settles; a throw or rejection fails it. */
  child<T>(name: string, attributes: Attributes | undefined, fn: () => T): T;
  /** Runs `fn` with this span as the active one. */
  run<T>(fn: () => T): T;
  set(attributes: Attributes): void;
  event(name: string, attributes?: Attributes): void;
  /** Ends the span; with an error it is marked failed and the exception recorded. */
  end(error?: unknown): void;
}

export const NO_TRACE: Trace = {
  recording: false,
  child: (_name, _attributes, fn) => fn(),
  run: (fn) => fn(),
  set: () => undefined,
  event: () => undefined,
  end: () => undefined,
};

const tracers = new PerProvider<object, Tracer>(() => otelApi()!.trace.getTracer(SCOPE));

/** The tracer of the registered SDK; undefined when none is registered. */
function currentTracer(api: OtelApi): Tracer | undefined {
  const provider = api.trace.getTracerProvider();
  // The API's global provider is a proxy, empty until an SDK registers behind it: then no span is even made.
  if (provider instanceof api.ProxyTracerProvider) return provider.getDelegateTracer(SCOPE);
  return tracers.get(provider);
}

/** Starts span `name` under the active context; NO_TRACE when nothing would record it. */
export function startTrace(name: string, attributes?: Attributes): Trace {
  const api = otelApi();
  const tracer = api === undefined ? undefined : currentTracer(api);
  if (api === undefined || tracer === undefined) return NO_TRACE;
  const active = api.context.active();
  const span = tracer.startSpan(name, { attributes }, active);
  // Sampled out: no children, no context switches.
  if (!span.isRecording()) return NO_TRACE;
  return new SpanTrace(api, tracer, span, api.trace.setSpan(active, span));
}

class SpanTrace implements Trace {
  readonly recording = true;

  constructor(
    private readonly api: OtelApi,
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly context: Context,
  ) {}

  child<T>(name: string, attributes: Attributes | undefined, fn: () => T): T {
    const span = this.tracer.startSpan(name, { attributes }, this.context);
    let result: T;
    try {
      result = this.api.context.with(this.api.trace.setSpan(this.context, span), fn);
    } catch (err) {
      endSpan(this.api, span, err);
      throw err;
    }
    if (!isThenable(result)) {
      endSpan(this.api, span);
      return result;
    }
    return result.then(
      (value) => {
        endSpan(this.api, span);
        return value;
      },
      (err: unknown) => {
        endSpan(this.api, span, err);
        throw err;
      },
    ) as T;
  }

  run<T>(fn: () => T): T {
    return this.api.context.with(this.context, fn);
  }

  set(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  event(name: string, attributes?: Attributes): void {
    this.span.addEvent(name, attributes);
  }

  end(error?: unknown): void {
    endSpan(this.api, this.span, error);
  }
}

function endSpan(api: OtelApi, span: Span, error?: unknown): void {
  if (error !== undefined) {
    const err = error instanceof Error ? error : new Error(inspect(error));
    span.recordException(err);
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: err.message });
  }
  span.end();
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
