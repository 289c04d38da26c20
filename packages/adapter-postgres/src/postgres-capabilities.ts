import type { Capabilities, JobState } from "@switchyard/core";
import { featureTable } from "@switchyard/core/adapter";

/** The default ttl of an idempotency key (option `idempotencyTtl`). */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 86_400_000;

/** Every state: live jobs are in graphile-worker's table, completed and cancelled ones in switchyard_finished. */
const POSTGRES_STATES: ReadonlyArray<JobState> = [
  "waiting",
  "delayed",
  "active",
  "completed",
  "failed",
  "cancelled",
];

/**
 * What the PostgreSQL backend can do. `native`: graphile-worker does it; `emulated`: the adapter does it
 * with its own tables and triggers in graphile-worker's schema (see the README for each).
 */
export const postgresCapabilities: Capabilities = {
  backend: "postgres",
  execution: "worker",
  features: featureTable({
    "enqueue.delay": "native",
    "enqueue.runAt": "native",
    "enqueue.priority": "native",
    "enqueue.bulk": "native",
    "enqueue.concurrencyKey": "emulated",
    "retry.backoff.fixed": "emulated",
    "retry.backoff.exponential": "emulated",
    "retry.backoff.max": "emulated",
    "retry.jitter": "emulated",
    "retry.retryAfter": "emulated",
    "retry.permanentError": "emulated",
    idempotency: "emulated",
    "idempotency.ttl": "emulated",
    "schedule.cron": "emulated",
    "schedule.every": "emulated",
    "schedule.timezone": "emulated",
    "schedule.seconds": "emulated",
    "schedule.imperative": "emulated",
    "job.concurrency": "emulated",
    "job.timeout": "emulated",
    "jobs.get": "emulated",
    "jobs.cancel": "native",
    "jobs.cancelRunning": "emulated",
    "jobs.retry": "native",
    "jobs.listFailed": "native",
    "jobs.counts": "native",
    "jobs.list": "native",
    "jobs.retryFailed": "native",
    progress: "emulated",
    results: "emulated",
    "worker.gracefulStop": "native",
    "worker.crashRecovery": "emulated",
    "steps.run": "emulated",
    "steps.sleep": "emulated",
    "steps.invoke": "emulated",
  }),
  idempotency: { window: "ttl", defaultTtlMs: DEFAULT_IDEMPOTENCY_TTL_MS, clearedOnFailure: false },
  jobStates: { counted: POSTGRES_STATES, listed: POSTGRES_STATES },
  notes: {
    "jobs.counts":
      "one SQL statement over graphile-worker's table (waiting, delayed, active, failed) and switchyard_finished (completed and cancelled, kept for keepFinished); without a job, the client's own jobs",
    "jobs.list":
      "keyset pages on the job id, newest first: a job leaving the state between pages never makes the next page skip another; completed and cancelled jobs come without their payload",
    "jobs.retryFailed":
      "one statement: the newest failed jobs up to the limit get a fresh attempt count (rows another transaction holds are skipped), and workers are told once",
    "enqueue.concurrencyKey":
      "each key gets its own set of graphile-worker named queues (lanes), as for job.concurrency",
    "retry.backoff.fixed":
      "graphile-worker's own backoff is fixed at exp(attempts) seconds; the adapter records the policy's delay and a trigger applies it when graphile-worker releases the failed job",
    "retry.backoff.exponential": "as retry.backoff.fixed",
    "retry.backoff.max": "as retry.backoff.fixed",
    "retry.jitter": "as retry.backoff.fixed",
    "retry.retryAfter": "as retry.backoff.fixed, with the delay the handler named",
    "retry.permanentError":
      "graphile-worker has no permanent error; the release trigger lowers the job's max_attempts to its attempts, so it is failed at once (the original maxAttempts is kept for get)",
    idempotency:
      "keys live in switchyard_idempotency, claimed in the same statement that adds the job; graphile-worker's jobKey is not used (its modes replace or debounce a job, they do not deduplicate it)",
    "idempotency.ttl": "as idempotency; expired keys are deleted by the workers' maintenance",
    "schedule.cron":
      "schedules live in switchyard_schedules and workers fire them (croner computes the next run), not in graphile-worker's crontab, which is fixed per process, UTC only and per minute",
    "schedule.every": "as schedule.cron",
    "schedule.timezone": "as schedule.cron",
    "schedule.seconds": "as schedule.cron",
    "schedule.imperative": "as schedule.cron",
    "job.concurrency":
      "a job with concurrency n is spread over n graphile-worker named queues (lanes), each running one job at a time: the limit is never exceeded across workers, but a free lane does not take work queued in a busy one",
    "job.timeout": "enforced in the worker by the Switchyard runtime (the attempt's signal aborts)",
    "jobs.get":
      "live jobs come from graphile-worker's table; completed and cancelled ones (which graphile-worker deletes) from switchyard_finished, written by a trigger and kept for keepFinished (default 7 days), without their payload",
    "jobs.cancelRunning": "the worker running it is told by NOTIFY and aborts the attempt's signal",
    progress: "stored in switchyard_job_state",
    results:
      "stored in switchyard_job_state by the attempt just before graphile-worker completes the job; kept for keepFinished",
    "worker.crashRecovery":
      "graphile-worker frees a dead worker's jobs after 4 hours; the adapter's heartbeat frees them after stalledAfter (default 1 minute)",
    "steps.run":
      "graphile-worker has no steps: each completed step is one upsert into switchyard_steps (job id, step id, JSON record); an attempt reads its job's steps in one query, only for a job that has stored any (flagged with its first step)",
    "steps.sleep":
      "graphile-worker cannot put a running job back without counting an attempt: the attempt records the suspension and graphile-worker releases the job; the release trigger sets run_at to the sleep's end and gives the attempt back, in that same statement",
    "steps.invoke":
      "the child is an ordinary job (enqueued once, under the step's idempotency key); the parent is suspended as for steps.sleep and looks at the child with get() when it wakes, which a trigger makes happen as soon as the child ends",
  },
};
