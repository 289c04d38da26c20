import type { Attributes, Meter, ObservableResult } from "@opentelemetry/api";
import type { JobState } from "../interfaces.js";
import type { TelemetryClient } from "../telemetry/telemetry.js";
import { ATTR_DESTINATION_NAME, ATTR_JOB_STATE, METRIC_QUEUE_DEPTH } from "./otel-attributes.js";

/**
 * A backend that counts its jobs (`Backend.counts`, where the backend has it). Typed here on its own,
 * and looked up at run time: a backend without it gets no queue-depth gauge, never a failure.
 */
type CountingBackend = {
  counts?(options: { job?: string }): Promise<Partial<Record<JobState, number>>>;
};

/**
 * Registers the queue-depth gauge: on each collection, the backend's count of each registered job by
 * state (one `counts({ job })` call a job). Returns the function that unregisters it (client close).
 * A backend without `counts` reports nothing; a count that fails is logged and skipped this time.
 */
export function observeQueueDepth(meter: Meter, client: TelemetryClient, base: Attributes): () => void {
  const backend = client.backend as TelemetryClient["backend"] & CountingBackend;
  if (typeof backend.counts !== "function") return () => {};
  const gauge = meter.createObservableGauge(METRIC_QUEUE_DEPTH, {
    description: "Jobs by job name and state, as the backend counts them",
    unit: "{job}",
  });
  const observe = async (result: ObservableResult): Promise<void> => {
    await Promise.all(
      [...client.jobs.keys()].map(async (job) => {
        let counts: Partial<Record<JobState, number>>;
        try {
          counts = await backend.counts!({ job });
        } catch (error) {
          client.logger.warn(`telemetry: counting the jobs of "${job}" failed`, { error });
          return;
        }
        for (const [state, count] of Object.entries(counts)) {
          if (typeof count !== "number") continue;
          result.observe(count, { ...base, [ATTR_DESTINATION_NAME]: job, [ATTR_JOB_STATE]: state });
        }
      }),
    );
  };
  gauge.addCallback(observe);
  return () => gauge.removeCallback(observe);
}
