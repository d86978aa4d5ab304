// The OpenTelemetry SDK as an application registers it, with in-memory
// exporters the tests read: every span as it ends, and the metrics at each
// collect(). uninstall() leaves the process as it was (no global provider).
import { context, metrics, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { ProjectionRunner } from '../../src/projections/index.js';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

export class TestSdk {
  readonly spanExporter = new InMemorySpanExporter();
  readonly metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  private readonly reader = new PeriodicExportingMetricReader({
    exporter: this.metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  readonly tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.spanExporter)] });
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  private readonly contextManager = new AsyncLocalStorageContextManager();

  static install(): TestSdk {
    const sdk = new TestSdk();
    context.setGlobalContextManager(sdk.contextManager.enable());
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    return sdk;
  }

  /** Unregisters the SDK; what it recorded stays readable. */
  async uninstall(): Promise<void> {
    trace.disable();
    metrics.disable();
    context.disable();
    await this.tracerProvider.shutdown();
    await this.meterProvider.shutdown();
  }

  /** Finished spans, oldest first; only those named `name` when given. */
  spans(name?: string): ReadableSpan[] {
    const all = this.spanExporter.getFinishedSpans();
    return name === undefined ? all : all.filter((s) => s.name === name);
  }

  /** The metrics as collected now (cumulative), by name. */
  async collect(): Promise<Map<string, MetricData>> {
    this.metricExporter.reset();
    await this.reader.forceFlush();
    const out = new Map<string, MetricData>();
    for (const resource of this.metricExporter.getMetrics())
      for (const scope of resource.scopeMetrics)
        for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
    return out;
  }

  /** The data points of metric `name` whose attributes include `where`. */
  async points(name: string, where: Attributes = {}): Promise<DataPoint<unknown>[]> {
    const metric = (await this.collect()).get(name);
    if (metric === undefined) return [];
    const points = metric.dataPoints as DataPoint<unknown>[];
    return points.filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v));
  }
}

/** The span's parent span id, or undefined for a root span. */
export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
export const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

/** Mocha hooks: an installed TestSdk and a ProjectionRunner for each test, closed and uninstalled after it. */
export function useSdkAndRunner(): { readonly sdk: TestSdk; readonly runner: ProjectionRunner } {
  const current: { sdk?: TestSdk; runner?: ProjectionRunner } = {};
  beforeEach(() => {
    current.sdk = TestSdk.install();
    current.runner = new ProjectionRunner();
  });
  afterEach(async () => {
    await current.runner!.close();
    await current.sdk!.uninstall();
  });
  return {
    get sdk() {
      return current.sdk!;
    },
    get runner() {
      return current.runner!;
    },
  };
}
