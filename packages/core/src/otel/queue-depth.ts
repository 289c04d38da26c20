import type { Attributes, Meter, ObservableResult } from "@opentelemetry/api";
import type { JobState } from "../interfaces.js";
import type { TelemetryClient } from "../telemetry/telemetry.js";
import { ATTR_DESTINATION_NAME, ATTR_JOB_STATE, METRIC_QUEUE_DEPTH } from "./otel-attributes.js";

/** How long the gauge reports the counts it last took before it counts again. */
export const DEFAULT_QUEUE_DEPTH_INTERVAL_MS = 60_000;

/**
 * A backend that counts its jobs (`Backend.counts`, where the backend has it). Typed here on its own,
 * and looked up at run time: a backend without it gets no queue-depth gauge, never a failure.
 */
type CountingBackend = {
  counts?(options: { job?: string }): Promise<Partial<Record<JobState, number>>>;
};

type Counts = Partial<Record<JobState, number>>;

/**
 * Registers the queue-depth gauge: the backend's count of each registered job by state (one
 * `counts({ job })` call a job), taken at most once per `intervalMs` (a collection within it reports
 * the last counts again: counting costs a store query per job, and on QStash pages of API calls).
 * Returns the function that unregisters it (client close). A backend without `counts` reports
 * nothing; a count that fails is logged and that job is left out until the next count.
 */
export function observeQueueDepth(
  meter: Meter,
  client: TelemetryClient,
  base: Attributes,
  intervalMs: number = DEFAULT_QUEUE_DEPTH_INTERVAL_MS,
): () => void {
  const backend = client.backend as TelemetryClient["backend"] & CountingBackend;
  if (typeof backend.counts !== "function") return () => {};
  const gauge = meter.createObservableGauge(METRIC_QUEUE_DEPTH, {
    description: "Jobs by job name and state, as the backend counts them",
    unit: "{job}",
  });
  // Every counted state is reported, zeros included: a drained backlog reads 0, not a vanished series.
  const countedStates = client.backend.capabilities.jobStates?.counted ?? [];
  const countEach = async (): Promise<Map<string, Counts>> => {
    const counted = new Map<string, Counts>();
    await Promise.all(
      [...client.jobs.keys()].map(async (job) => {
        try {
          counted.set(job, withZeros(await backend.counts!({ job }), countedStates));
        } catch (error) {
          client.logger.warn(`telemetry: counting the jobs of "${job}" failed`, { error });
        }
      }),
    );
    return counted;
  };
  let last: { at: number; counts: Map<string, Counts> } | undefined;
  let counting: Promise<Map<string, Counts>> | undefined;
  const current = (): Promise<Map<string, Counts>> => {
    if (last && Date.now() - last.at < intervalMs) return Promise.resolve(last.counts);
    if (!counting) {
      const at = Date.now();
      counting = countEach()
        .then((counts) => {
          last = { at, counts };
          return counts;
        })
        .finally(() => {
          counting = undefined;
        });
    }
    return counting;
  };
  const observe = async (result: ObservableResult): Promise<void> => {
    for (const [job, counts] of await current()) {
      for (const [state, count] of Object.entries(counts)) {
        if (typeof count !== "number") continue;
        result.observe(count, { ...base, [ATTR_DESTINATION_NAME]: job, [ATTR_JOB_STATE]: state });
      }
    }
  };
  gauge.addCallback(observe);
  return () => gauge.removeCallback(observe);
}

function withZeros(counts: Counts, states: ReadonlyArray<JobState>): Counts {
  const filled: Counts = { ...counts };
  for (const state of states) filled[state] ??= 0;
  return filled;
}
