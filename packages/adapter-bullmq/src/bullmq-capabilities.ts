import type { Capabilities, JobState } from "@switchyard/core";
import { featureTable } from "@switchyard/core/adapter";

/** The default idempotency window: 24 hours from the first enqueue. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 86_400_000;

/** BullMQ's states, and cancelled from the adapter's index of the jobs it cancelled (cancelled-index.ts). */
const BULLMQ_STATES: ReadonlyArray<JobState> = [
  "waiting",
  "delayed",
  "active",
  "completed",
  "failed",
  "cancelled",
];

/**
 * What the BullMQ adapter can do. `native`: BullMQ does it with its own API. `emulated`: the adapter
 * does it on top of BullMQ. `unsupported`: using it throws NotSupportedError.
 */
export const bullmqCapabilities: Capabilities = {
  backend: "bullmq",
  execution: "worker",
  features: featureTable({
    "enqueue.delay": "native",
    "enqueue.runAt": "native",
    "enqueue.priority": "native",
    "enqueue.bulk": "native",
    "retry.backoff.fixed": "native",
    "retry.backoff.exponential": "native",
    "retry.backoff.max": "emulated",
    "retry.jitter": "native",
    "retry.retryAfter": "emulated",
    "retry.permanentError": "native",
    idempotency: "native",
    "idempotency.ttl": "native",
    "schedule.cron": "native",
    "schedule.every": "native",
    "schedule.timezone": "native",
    "schedule.seconds": "native",
    "schedule.imperative": "native",
    "job.concurrency": "native",
    "job.timeout": "emulated",
    "jobs.get": "native",
    "jobs.cancel": "emulated",
    "jobs.cancelRunning": "emulated",
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
  idempotency: { window: "ttl", defaultTtlMs: DEFAULT_IDEMPOTENCY_TTL_MS, clearedOnFailure: false },
  jobStates: { counted: BULLMQ_STATES, listed: BULLMQ_STATES },
  notes: {
    "jobs.counts":
      "BullMQ's getJobCounts per job (waiting adds up wait, prioritized and waiting-children), summed over the client's jobs when no job is named; cancelled comes from the adapter's index of cancellations, and a job BullMQ failed because it was cancelled counts as cancelled, not failed; a schedule's next run, which BullMQ keeps as a delayed job, counts (and lists) as delayed, where other backends show nothing until it fires",
    "jobs.list":
      "reads BullMQ's lists and sorted sets per job and merges them newest first (waiting by creation, active by start, delayed by due time, finished by end); a page continues after the last job listed (a sorted set by score, a list by finding that job again), so jobs leaving the state between pages make no page skip another",
    "jobs.retryFailed":
      "core lists the failed jobs and retries each: BullMQ's retryJobs reruns every failed job of a queue (no limit), keeps their attempt counts, and would rerun jobs cancelled while running",
    "enqueue.priority":
      "BullMQ priorities (0 runs before any prioritized job, then lower first); ordered within one job, since each job has its own queue",
    "enqueue.concurrencyKey":
      "BullMQ has no per-key concurrency (groups are a BullMQ Pro feature); use a job per key or a job-level concurrency",
    "retry.backoff.fixed":
      "BullMQ's retries (attempts, the delayed set) with each delay computed by core's policy in BullMQ's custom backoff strategy hook",
    "retry.backoff.exponential":
      "BullMQ's retries with each delay computed by core's policy (any factor) in BullMQ's custom backoff strategy hook",
    "retry.backoff.max": "BullMQ has no cap on a backoff; the adapter's backoff strategy applies it",
    "retry.jitter": "same rule as BullMQ's jitter (a delay d becomes uniform in [d·(1-jitter), d])",
    "retry.retryAfter":
      "the processor fails the attempt (it counts) and the adapter's backoff strategy returns the delay the handler asked for",
    "retry.permanentError": "thrown to BullMQ as an UnrecoverableError",
    idempotency:
      "BullMQ deduplication (per job, since each job has its own queue) with a ttl; cancelling a waiting job frees its key",
    "job.concurrency":
      "BullMQ global concurrency of the job's queue, across all workers: the lowest limit any running worker's code defines (a worker without the limit does not lift it)",
    "schedule.cron":
      "BullMQ job schedulers, with each next time from core's cron rules (croner) through BullMQ's repeatStrategy, so daylight-saving changes fire as on every backend",
    "job.timeout": "BullMQ has no job timeout; core aborts the handler's signal and fails the attempt",
    "jobs.cancel":
      "BullMQ has no cancelled state: a waiting or delayed job is removed and its record kept for get(id); the pending next run of a schedule cannot be cancelled (remove the schedule)",
    "jobs.cancelRunning":
      "the worker running the job is told over Redis pub/sub and aborts its signal; the job ends failed in BullMQ and cancelled in Switchyard",
    "worker.crashRecovery":
      "BullMQ's lock and stalled check: a dead worker's jobs run again after lockDuration (default 30 s); the lost attempt counts",
    "steps.run":
      "each step is a field of the job's own BullMQ hash, written in one round trip (a script that checks the worker still holds the job's lock) and removed with the job; a resumed or retried job reads them with one HGETALL, a first start reads nothing",
    "steps.sleep":
      "BullMQ's step-job pattern: moveToDelayed then DelayedError, which frees the slot and the lock; the same atomic move hands back the start BullMQ counted (attemptsStarted), so a sleep is not an attempt",
    "steps.invoke":
      "the child is a plain BullMQ job enqueued with the step's idempotency key (not a BullMQ flow); the parent sleeps between looks at the child (250 ms, then half the time waited, at most 30 s)",
  },
};
