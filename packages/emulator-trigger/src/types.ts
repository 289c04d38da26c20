import type { RetryOptions, RunStatus, TaskRunError } from "@trigger.dev/core/v3";

export type { RunStatus };

/** Environment types a Trigger.dev run context can carry (C:schemas/common.js TaskRunExecutionEnvironment). */
export type EmulatedEnvironmentType = "PRODUCTION" | "STAGING" | "DEVELOPMENT" | "PREVIEW";

/** Options of {@link startTriggerEmulator}. Every field is optional. */
export interface TriggerEmulatorOptions {
  /**
   * The key the emulator accepts as `Authorization: Bearer <key>`.
   * Default: a random key shaped like the environment's (`tr_prod_…`), readable as `emulator.secretKey`.
   */
  secretKey?: string;
  /**
   * Multiplies every retry delay before the emulator waits it: the delay the SDK's executor
   * computes from the task's `retry` policy, a `catchError` `retryAt`/`retryDelayInMs`, or a
   * 429 reset. `0.001` turns a 1 s backoff into 1 ms. The attempt log keeps both values.
   * Default: `1` (real time).
   */
  timeScale?: number;
  /**
   * Multiplies the waits behind the `delay` and `ttl` trigger options (and `runs.reschedule`), and
   * the `wait.for` / `wait.until` waitpoints (waits past the SDK's 5 s threshold).
   * Retrieved runs still report the nominal `delayedUntil`. Cron schedules always use wall-clock
   * time (use {@link TriggerEmulator.fireSchedule} in tests).
   * Default: `1`.
   */
  delayTimeScale?: number;
  /**
   * Project-wide retry settings, as `retries` in `trigger.config.ts`. `default` applies to tasks
   * that set no `retry`; without it such tasks never retry (C:workers/taskExecutor.js #handleError).
   * Default: none.
   */
  retries?: { default?: RetryOptions; enabledInDev?: boolean };
  /**
   * `ctx.environment.type` of every run, and the run engine's rules that depend on it: a stalled
   * attempt (see `heartbeatTimeoutMs`) is retried in PRODUCTION, STAGING and PREVIEW, and not in
   * DEVELOPMENT (`trigger dev`), where the run ends CANCELED. Default: `"PRODUCTION"`.
   */
  environmentType?: EmulatedEnvironmentType;
  /**
   * How many runs may execute at once in the environment, across all queues.
   * Default: `100`.
   */
  concurrencyLimit?: number;
  /**
   * How often a running task flushes `metadata.*` changes to the emulator, like the worker's
   * `TRIGGER_RUN_METADATA_FLUSH_INTERVAL`. Default: `1000` ms.
   */
  metadataFlushIntervalMs?: number;
  /**
   * The most bytes a run's metadata may take as JSON: an update past it is refused with a 413,
   * "Metadata exceeds maximum size of N bytes", and changes nothing, as the platform's
   * `TASK_RUN_METADATA_MAXIMUM_SIZE` (W:apps/webapp/app/env.server.ts). Default: `262_144` (256 KB).
   */
  metadataMaximumSize?: number;
  /**
   * Parse every JSON response with the SDK's own zod schema before sending it, and answer 500
   * (`x-should-retry: false`) if it does not match. Default: `true`.
   */
  validateResponses?: boolean;
  /**
   * Execute runs with tasks from the SDK resource catalog. With `false` runs stay queued, which
   * is enough for API-only tests. Default: `true`.
   */
  execute?: boolean;
  /**
   * How long after an attempt's machine died (see {@link TriggerEmulator.crashExecutingAttempts})
   * the platform notices the missing heartbeats and fails the attempt with
   * `TASK_RUN_STALLED_EXECUTING`: "If we don't receive a heartbeat within 5 minutes, we mark the
   * run as stalled" (DOC:runs/heartbeats.mdx). Default: `300_000` ms.
   */
  heartbeatTimeoutMs?: number;
  /** Port to listen on, on 127.0.0.1. Default: `0` (a free port). */
  port?: number;
}

/** One attempt of a run, as the executor saw it. */
export interface AttemptRecord {
  runId: string;
  taskIdentifier: string;
  /** 1-based, as `ctx.attempt.number`. */
  number: number;
  startedAt: Date;
  finishedAt?: Date;
  /** `crashed`: its machine died mid-attempt; the platform fails it once the heartbeats stop. */
  outcome: "executing" | "succeeded" | "failed" | "canceled" | "timed_out" | "crashed";
  /** The error the attempt failed with, as the SDK serialised it. */
  error?: TaskRunError;
  /** The retry delay the SDK's executor decided, in ms (before `timeScale`). */
  retryDelayMs?: number;
  /** The wait the emulator actually applied before the next attempt (after `timeScale`). */
  scaledRetryDelayMs?: number;
  /** True when the executor skipped retrying (`AbortTaskRunError`, `skipRetrying`, bad payload …). */
  skippedRetrying?: boolean;
}

/** A run as the emulator stores it. Times are Dates; payload/output are decoded values. */
export interface EmulatedRun {
  readonly id: string;
  readonly taskIdentifier: string;
  readonly status: RunStatus;
  readonly payload: unknown;
  /** The task's return value once COMPLETED. */
  readonly output: unknown;
  readonly error?: TaskRunError;
  readonly metadata?: Record<string, unknown>;
  readonly attempts: readonly AttemptRecord[];
  readonly createdAt: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly delayUntil?: Date;
  readonly queue: string;
  readonly concurrencyKey?: string;
  readonly priority: number;
  readonly tags: readonly string[];
  /** The hashed key the run holds, cleared when a later trigger finds it stale. */
  readonly idempotencyKey?: string;
  readonly idempotencyKeyExpiresAt?: Date;
  readonly batchId?: string;
  readonly scheduleId?: string;
  readonly parentRunId?: string;
  readonly replayedFromRunId?: string;
}

/** Options for the emulator's wait helpers. */
export interface WaitOptions {
  /** Give up after this many ms and throw. Default: `10_000`. */
  timeoutMs?: number;
}

/** One HTTP request the emulator answered. */
export interface RequestRecord {
  method: string;
  path: string;
  status: number;
}
