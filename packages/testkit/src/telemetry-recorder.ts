// The OpenTelemetry SDK's in-memory exporters, wired to one client's telemetry. Each scenario gets its
// own providers, passed to openTelemetry() explicitly: no global tracer or meter provider is set, so
// scenarios running side by side never see each other's spans. Only the context manager is global
// (the API has no other way to carry the active span across awaits); it holds no state of its own.
import { context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { Telemetry } from "@switchyard/core";
import { type OpenTelemetryOptions, openTelemetry } from "@switchyard/core/otel";

let contextManagerSet = false;

/** Registers an AsyncLocalStorage context manager once per process (a no-op if one is already set). */
function ensureContextManager(): void {
  if (contextManagerSet) return;
  contextManagerSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** openTelemetry() options a scenario may set (the kit sets the providers and the propagator). */
export type TelemetryRecorderOptions = Omit<
  OpenTelemetryOptions,
  "tracerProvider" | "meterProvider" | "propagator"
>;

export class TelemetryRecorder {
  readonly telemetry: Telemetry;
  /** A tracer of the same provider, for the scenario's own spans (the "enqueuing code"). */
  readonly tracer: Tracer;
  readonly #spans = new InMemorySpanExporter();
  readonly #metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  readonly #reader: PeriodicExportingMetricReader;
  readonly #tracerProvider: TracerProvider;
  readonly #meterProvider: MeterProvider;

  constructor(options: TelemetryRecorderOptions = {}) {
    ensureContextManager();
    this.#tracerProvider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: this.#spans })],
    });
    // Exports only when asked (metricPoints): the interval is longer than any scenario.
    this.#reader = new PeriodicExportingMetricReader({
      exporter: this.#metrics,
      exportIntervalMillis: 3_600_000,
    });
    this.#meterProvider = new MeterProvider({ readers: [this.#reader] });
    this.tracer = this.#tracerProvider.getTracer("switchyard-conformance");
    this.telemetry = openTelemetry({
      ...options,
      tracerProvider: this.#tracerProvider,
      meterProvider: this.#meterProvider,
      // Explicit, like the providers: the global propagator is a no-op unless an SDK registered one.
      propagator: new W3CTraceContextPropagator(),
    });
  }

  /** The spans ended so far. */
  spans(): ReadableSpan[] {
    return this.#spans.getFinishedSpans();
  }

  /** Collects the metrics now and returns the data points of the instrument named `name`. */
  async metricPoints(name: string): Promise<DataPoint<unknown>[]> {
    this.#metrics.reset();
    await this.#reader.forceFlush();
    const exported = this.#metrics.getMetrics().at(-1);
    const points: DataPoint<unknown>[] = [];
    for (const scope of exported?.scopeMetrics ?? []) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name === name) points.push(...(metric.dataPoints as DataPoint<unknown>[]));
      }
    }
    return points;
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.#tracerProvider.shutdown(), this.#meterProvider.shutdown()]);
  }
}
