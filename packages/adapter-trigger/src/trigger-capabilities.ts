import type { Capabilities } from "@switchyard/core";
import { featureTable } from "@switchyard/core/adapter";
import { TRIGGER_JOB_STATES } from "./job-listing.js";

/** "By default idempotency keys are stored for 30 days" (trigger.dev/docs/idempotency). */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 30 * 86_400_000;

/**
 * What the Trigger.dev adapter can do. `native`: Trigger.dev does it (a task option, the SDK or the
 * REST API). `emulated`: the adapter or core does it on top. `unsupported`: using it throws
 * NotSupportedError. The notes say how, and why where it is unsupported.
 */
export const triggerCapabilities: Capabilities = {
  backend: "trigger",
  execution: "managed",
  features: featureTable({
    "enqueue.delay": "native",
    "enqueue.runAt": "native",
    "enqueue.priority": "native",
    "enqueue.bulk": "native",
    "enqueue.concurrencyKey": "native",
    "retry.backoff.fixed": "native",
    "retry.backoff.exponential": "native",
    "retry.backoff.max": "native",
    "retry.jitter": "emulated",
    "retry.retryAfter": "native",
    "retry.permanentError": "native",
    idempotency: "native",
    "idempotency.ttl": "native",
    "schedule.cron": "native",
    "schedule.timezone": "native",
    "schedule.imperative": "native",
    "job.concurrency": "native",
    "job.timeout": "emulated",
    "jobs.get": "native",
    "jobs.cancel": "native",
    "jobs.cancelRunning": "native",
    "jobs.retry": "native",
    "jobs.listFailed": "native",
    "jobs.counts": "native",
    "jobs.list": "native",
    "jobs.retryFailed": "emulated",
    progress: "native",
    results: "native",
    "worker.gracefulStop": "native",
    "worker.crashRecovery": "native",
    "steps.run": "emulated",
    "steps.sleep": "native",
    "steps.invoke": "emulated",
  }),
  idempotency: { window: "ttl", defaultTtlMs: DEFAULT_IDEMPOTENCY_TTL_MS, clearedOnFailure: true },
  jobStates: { counted: TRIGGER_JOB_STATES, listed: TRIGGER_JOB_STATES },
  notes: {
    "enqueue.delay": "the run's `delay` option: Trigger.dev holds it as DELAYED until then",
    "enqueue.runAt": "the run's `delay` option with a Date",
    "enqueue.priority":
      "Trigger.dev's `priority` is seconds of head start; priority p becomes 1000 - p seconds, so among jobs queued within a few seconds of each other the lower number runs first, and a job that has waited longer than the difference in seconds keeps its place",
    "enqueue.bulk":
      "`batchTrigger` (up to 500 runs a call); payloads that carry an idempotency key are triggered one by one, since only `tasks.trigger` says whether a key was live",
    "enqueue.concurrencyKey":
      "the run's `concurrencyKey`; the job's limit is the task's `concurrency: { perKey }`, which caps each key's pool, and runs without a key share one pool",
    "retry.backoff.fixed":
      "the task's `retry` (factor 1); each delay is core's policy, returned to Trigger.dev by the task's `catchError` as `retryAt`",
    "retry.backoff.exponential":
      "the task's `retry` (`factor`, `minTimeoutInMs`); each delay is core's policy, returned by `catchError` as `retryAt`",
    "retry.backoff.max": "the task's `retry.maxTimeoutInMs`, applied by core's policy too",
    "retry.jitter":
      "Trigger.dev's `randomize` multiplies a delay by 1-2; Switchyard's jitter only shortens it, so core's policy applies it and `catchError` returns the result as `retryAt`",
    "retry.retryAfter": "the task's `catchError` returns `retryAt`; the attempt counts",
    "retry.permanentError":
      "the task's `catchError` answers `skipRetrying`, as AbortTaskRunError does; the run's error keeps the Switchyard code as its name",
    idempotency:
      "Trigger.dev idempotency keys (`idempotencyKeys.create(key, { scope: 'global' })`), per task, so per job; a second trigger returns the first run (`isCached`). A FAILED (or crashed, timed out, expired) run gives up its key; completed and cancelled runs keep it",
    "idempotency.ttl": "`idempotencyKeyTTL` in whole seconds; default 30 days",
    "schedule.cron":
      "declared schedules are `schedules.task({ cron: { pattern, timezone } })` tasks, synced by Trigger.dev when the tasks are deployed",
    "schedule.every": "Trigger.dev schedules are cron expressions only; write the interval as a cron",
    "schedule.timezone": "the schedule's IANA `timezone`; Trigger.dev follows daylight saving time",
    "schedule.seconds": "Trigger.dev cron expressions have five fields (minute granularity)",
    "schedule.imperative":
      "`schedules.create` with `deduplicationKey` `switchyard:<id>` on one scheduled task (`switchyard-schedules`); the job and payload travel as the schedule's `externalId` (JSON), since Trigger.dev schedules carry no payload",
    "job.concurrency":
      "the task's `concurrency: { perKey }`, enforced by Trigger.dev across all its machines (bounded by the environment's limit)",
    "job.timeout":
      "core aborts the handler's signal and fails the attempt; the adapter sets no `maxDuration`, whose timeout would end the run without retry",
    "jobs.get":
      "`runs.retrieve` (status, payload, output, error, metadata, attempt count); a run between two attempts is EXECUTING for Trigger.dev, so the task records the next attempt's time in the run's metadata and the job shows delayed until then",
    "jobs.cancel": "`runs.cancel`; a delayed or queued run never starts",
    "jobs.cancelRunning":
      "`runs.cancel` aborts the running attempt's signal; the run is CANCELED and not retried",
    "jobs.retry":
      "`runs.replay`: a new run with the same payload and fresh attempts under the same job id; the replay route ignores overrides, so the run is tagged with the job's id before the replay (which copies its tags) and with the replay's id after it",
    "jobs.counts":
      "`runs.list` pages of the client's tasks' runs counted by status (one call per 100 runs: Trigger.dev has no count call), each EXECUTING run read with `runs.retrieve` (active, or waiting for its retry); a run replayed by retry(id) is left out",
    "jobs.list":
      "`runs.list` filtered by the state's statuses and the tasks, cursor pages, then `runs.retrieve` per run for payload, result and error (a failed one through its job's replay chain); jobs of tasks not registered with the client are not listed",
    "jobs.retryFailed":
      "core lists the failed jobs and replays each as retry(id) does: Trigger.dev's bulk replay (`POST /api/v1/bulk-actions`) runs in the background and answers with the action's id only, so the replays could not be linked to their jobs",
    "jobs.listFailed": "`runs.list` filtered by status and task, then `runs.retrieve` for payload and error",
    progress: "`metadata.set('progress', value)` on the run, flushed at once; `get(id)` reads it back",
    results: "the run's output",
    "worker.gracefulStop":
      "there is no worker in the application: Trigger.dev runs the tasks, and a new deploy lets attempts in flight finish on the version they started on. The test kit's emulator drains its attempts on a graceful stop",
    "steps.run":
      "each completed step is one key of the run's metadata (`switchyard.step:<id>`), written with one `PUT /api/v1/runs/{id}/metadata` awaited before the handler goes on; Trigger.dev keeps a run's metadata across its attempts and hands it to each; a `retry(id)` replay copies the steps of the job's earlier runs first. All of a job's steps share the run's metadata cap (256 KB by default): a step past it fails the job with UnstorableResultError",
    "steps.sleep":
      "`wait.until` inside the attempt, then the handler again from the top: past 5 s Trigger.dev checkpoints the run (it leaves its machine and concurrency slot; the run shows WAITING, the job delayed), 5 s or less the SDK waits in the process (charged as compute). A sleep is not an attempt. No documented maximum length",
    "steps.invoke":
      "core enqueues the child as an ordinary run (under the step's idempotency key) and the parent looks at it with `runs.retrieve`, sleeping with `wait.until` in between (250 ms, then half the time waited, at most 30 s). Not `triggerAndWait`: core's step seam enqueues the child itself (validation, options, the step's key) and reads it with get()",
    "worker.crashRecovery":
      "in deployed environments (production, staging, preview) Trigger.dev fails an attempt whose machine died once its heartbeats stop (5 minutes) with TASK_RUN_STALLED_EXECUTING and retries it 250 ms later; the lost attempt counts. Under `trigger dev` (DEVELOPMENT) it does not retry: the run ends CANCELED and the job reads cancelled",
  },
};
