import { NotSupportedError } from "./errors/not-supported-error.js";
import type { JobState } from "./interfaces.js";

/**
 * How a backend runs handlers:
 * - `embedded`: in this process (memory);
 * - `worker`: a pull worker started with `jobs.work()` (BullMQ, graphile-worker);
 * - `http`: the platform calls `jobs.handler()` over HTTP (QStash, Inngest);
 * - `managed`: the platform runs the code on its own workers (Trigger.dev).
 */
export type ExecutionModel = "embedded" | "worker" | "http" | "managed";

/** `native`: the backend does it. `emulated`: the adapter does it on top. `unsupported`: using it throws NotSupportedError. */
export type Support = "native" | "emulated" | "unsupported";

/** Every option and operation whose support differs between backends. */
export const FEATURES = [
  "enqueue.delay",
  "enqueue.runAt",
  "enqueue.priority",
  "enqueue.bulk",
  "enqueue.concurrencyKey",
  "retry.backoff.fixed",
  "retry.backoff.exponential",
  "retry.backoff.max",
  "retry.jitter",
  "retry.retryAfter",
  "retry.permanentError",
  "idempotency",
  "idempotency.ttl",
  "schedule.cron",
  "schedule.every",
  "schedule.timezone",
  "schedule.seconds",
  "schedule.imperative",
  "job.concurrency",
  "job.timeout",
  "jobs.get",
  "jobs.cancel",
  "jobs.cancelRunning",
  "jobs.retry",
  "jobs.listFailed",
  "jobs.counts",
  "jobs.list",
  "jobs.retryFailed",
  "progress",
  "results",
  "worker.gracefulStop",
  "worker.crashRecovery",
  "steps.run",
  "steps.sleep",
  "steps.invoke",
] as const;

export type Feature = (typeof FEATURES)[number];

/**
 * How long an idempotency key keeps a second enqueue from running:
 * - `ttl`: for `idempotencyTtl` from the first enqueue (the caller picks it);
 * - `fixed`: for a window the platform fixes (`fixedWindowMs`), whatever the caller asks;
 * - `until-removed`: until the job's record is removed (completed jobs are removed, so a key is free again then).
 */
export type IdempotencyWindow = "ttl" | "fixed" | "until-removed";

/** The typed manifest every backend exports. It fails closed: what is not listed as supported throws. */
export interface Capabilities {
  /** The backend's name as used in `SWITCHYARD_BACKEND`. */
  backend: string;
  execution: ExecutionModel;
  features: Readonly<Record<Feature, Support>>;
  idempotency: {
    window: IdempotencyWindow;
    /** The window used when no ttl is given, where there is one. */
    defaultTtlMs?: number;
    /** With `window: "fixed"`, its length. */
    fixedWindowMs?: number;
    /** True when a failed job frees its key at once (Trigger.dev). Default false. */
    clearedOnFailure: boolean;
  };
  /**
   * The states `jobs.counts()` reports and `jobs.list()` accepts, where those features are supported.
   * Default: none.
   */
  jobStates?: {
    readonly counted: ReadonlyArray<JobState>;
    readonly listed: ReadonlyArray<JobState>;
  };
  /** Plain-words notes for the docs: what is emulated and how, what is declared and why. */
  notes?: Readonly<Partial<Record<Feature, string>>>;
}

export function supports(capabilities: Capabilities, feature: Feature): boolean {
  return capabilities.features[feature] !== "unsupported";
}

/** Throws NotSupportedError naming the backend and the option when `feature` is unsupported. */
export function requireFeature(capabilities: Capabilities, feature: Feature, option: string = feature): void {
  if (!supports(capabilities, feature)) {
    throw new NotSupportedError(capabilities.backend, option, capabilities.notes?.[feature]);
  }
}

/** Builds a feature table where everything not named is unsupported: a new feature fails closed everywhere. */
export function featureTable(supported: Partial<Record<Feature, Support>>): Record<Feature, Support> {
  const table = {} as Record<Feature, Support>;
  for (const feature of FEATURES) table[feature] = supported[feature] ?? "unsupported";
  return table;
}
