import type { AnyJobDefinition, ExecutionModel, Feature, Switchyard, Telemetry } from "@switchyard/core";
import type { ConformanceHarness, RunningRuntime } from "./harness.js";
import type { TelemetryRecorder, TelemetryRecorderOptions } from "./telemetry-recorder.js";

/** One behaviour every backend that has the named features must show. */
export interface Scenario {
  /** Stable id, `area.behaviour`, used in reports and the compatibility table. */
  id: string;
  title: string;
  /** Every feature the scenario needs; a backend lacking one reports it skipped with the reason. */
  requires: ReadonlyArray<Feature>;
  /** Only these execution models (for example worker concurrency only means something to pull workers). Default: all. */
  execution?: ReadonlyArray<ExecutionModel>;
  /** Default 30 s. */
  timeoutMs?: number;
  /**
   * The scenario runs several processes on one store (`t.sibling`): it needs the harness's
   * `reconnect`. A harness without it (the memory backend lives in one process) reports it skipped,
   * and checks instead that a backend refuses a second client.
   */
  multiProcess?: boolean;
  /**
   * Runs alongside the neighbouring concurrent scenarios. For scenarios that mostly wait on the
   * backend's clock (minute-granular cron), so a suite does not wait for each in turn. Default false.
   */
  concurrent?: boolean;
  run(t: ScenarioContext): Promise<void>;
  /**
   * What the backend must do instead, run when it lacks one of `negativeFor`: for an option, that using
   * it throws NotSupportedError before anything is enqueued; for a run-time feature, its fallback.
   */
  whenUnsupported?(t: ScenarioContext): Promise<void>;
  /**
   * The features whose absence `whenUnsupported` checks. Default: `requires`. For any other missing
   * feature, the kit's own check of that feature runs instead (unsupported-checks.ts).
   */
  negativeFor?: ReadonlyArray<Feature>;
  /** What `whenUnsupported` checks, for the report. Default "NotSupportedError". */
  insteadDescription?: string;
}

export interface ScenarioContext {
  readonly harness: ConformanceHarness;
  /** A job name unique to this run: `<base>-<random>`. */
  jobName(base: string): string;
  /** A client on a fresh backend with these jobs; closed after the scenario. */
  client(jobs: ReadonlyArray<AnyJobDefinition>, options?: { telemetry?: Telemetry }): Promise<Switchyard>;
  /** OpenTelemetry providers with in-memory exporters, for `client(jobs, { telemetry })`; shut down after the scenario. */
  telemetry(options?: TelemetryRecorderOptions): TelemetryRecorder;
  /**
   * A client on a second backend sharing `client`'s store, as another process or the next deploy of
   * the app would have, with its own jobs; closed after the scenario. Needs `multiProcess: true`.
   */
  sibling(client: Switchyard, jobs: ReadonlyArray<AnyJobDefinition>): Promise<Switchyard>;
  /** Starts the runtime for a client; stopped after the scenario. Default concurrency 10. */
  start(client: Switchyard, options?: { concurrency?: number }): Promise<RunningRuntime>;
}

export function defineScenario(scenario: Scenario): Scenario {
  return scenario;
}
