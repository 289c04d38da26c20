import type { Capabilities } from "@switchyard/core";
import { featureTable } from "@switchyard/core/adapter";
import { INNGEST_JOB_STATES } from "./job-listing.js";

/** Inngest's idempotency window: one run per function per event id for 24 hours, fixed by the platform. */
export const IDEMPOTENCY_WINDOW_MS = 86_400_000;

/**
 * What the Inngest adapter can do. `native`: Inngest does it (the SDK, the event API or the REST
 * API). `emulated`: the adapter does it on top of Inngest. `unsupported`: using it throws
 * NotSupportedError. The notes say how, and why where it is unsupported.
 */
export const inngestCapabilities: Capabilities = {
  backend: "inngest",
  execution: "http",
  features: featureTable({
    "enqueue.delay": "native",
    "enqueue.runAt": "native",
    "enqueue.bulk": "native",
    "enqueue.concurrencyKey": "native",
    "retry.backoff.fixed": "emulated",
    "retry.backoff.exponential": "emulated",
    "retry.backoff.max": "emulated",
    "retry.jitter": "emulated",
    "retry.retryAfter": "native",
    "retry.permanentError": "native",
    idempotency: "native",
    "schedule.cron": "native",
    "schedule.timezone": "native",
    "job.concurrency": "native",
    "job.timeout": "emulated",
    "jobs.get": "native",
    "jobs.cancel": "native",
    "jobs.retry": "native",
    "jobs.listFailed": "native",
    "jobs.counts": "native",
    "jobs.list": "native",
    "jobs.retryFailed": "emulated",
    results: "native",
    "worker.gracefulStop": "native",
    "worker.crashRecovery": "native",
    "steps.run": "native",
    "steps.sleep": "native",
    "steps.invoke": "native",
  }),
  idempotency: { window: "fixed", fixedWindowMs: IDEMPOTENCY_WINDOW_MS, clearedOnFailure: false },
  jobStates: { counted: INNGEST_JOB_STATES, listed: INNGEST_JOB_STATES },
  notes: {
    "steps.run":
      "Inngest's step.run: the SDK runs each new step in the request that meets it and checkpoints it with Inngest, which memoizes it for every later request. A throw is retried as Inngest retries steps, at the job's backoff (ctx.attempt counts the attempts of the step that runs). At most 1000 steps per run, 4 MB per step result, 32 MB of results per run: a step past one fails the job there (NotSupportedError, UnstorableResultError)",
    "steps.sleep":
      "Inngest's step.sleep / sleepUntil: Inngest keeps the timer and calls the app when it is due; the SDK rounds a sleep under 1 s up to 1 s; at most 366 days (7 on Inngest's free plan)",
    "steps.invoke":
      "Inngest's step.invoke of the child job's function: the child runs as its own Inngest run (event `inngest/function.invoked`, its id the child's job id) and its result or failure resumes the parent; `delay`, `runAt` and `priority` are refused (NotSupportedError); while waiting, the parent shows as active",
    "enqueue.delay": "the event's `ts` is set in the future; Inngest starts the run at that time",
    "enqueue.runAt": "the event's `ts` is set to runAt; Inngest starts the run at that time",
    "enqueue.priority":
      "Inngest's `priority.run` moves a run ahead of others queued by up to 600 s relative to when it was sent, and only matters while a concurrency limit holds runs back; it is not an order among waiting jobs",
    "enqueue.bulk": "one `inngest.send` call per 100 events (or 512 KiB)",
    "enqueue.concurrencyKey":
      "Inngest's keyed concurrency: the job's limit applies per key (`event.data.concurrencyKey`); enqueues without a key share one bucket",
    "retry.backoff.fixed":
      "each failed attempt answers Inngest with a RetryAfterError at the time the policy chose, so Inngest's own 15 s+ backoff never applies; Inngest waits at least 1 s",
    "retry.backoff.exponential":
      "each failed attempt answers Inngest with a RetryAfterError at the time the policy chose (any factor); Inngest waits at least 1 s",
    "retry.backoff.max": "applied by the policy before the RetryAfterError is sent",
    "retry.jitter": "applied by the policy before the RetryAfterError is sent",
    "retry.retryAfter":
      "Inngest's RetryAfterError; the attempt counts; Inngest waits at least 1 s and at most 24 h",
    "retry.permanentError": "thrown to Inngest as a NonRetriableError",
    idempotency:
      "the key becomes the event id (`<job>:<sha256 of the key>`), and that is the job's id; Inngest starts one run per event id for 24 h from the first. `deduplicated` is true when another event with the id in that window started a run (read through REST, uncached); never for a new job",
    "idempotency.ttl": "Inngest's event-id window is fixed at 24 h; it cannot be set per job or enqueue",
    "schedule.cron":
      "a cron trigger on the job's function, declared in defineJob; it takes effect when Inngest syncs the app",
    "schedule.every": "Inngest schedules are cron expressions only; write the interval as a cron",
    "schedule.timezone": "the cron trigger's `TZ=<zone>` prefix",
    "schedule.seconds": "Inngest cron expressions have five fields (minute granularity)",
    "schedule.imperative":
      "Inngest schedules are cron triggers in the function definition, changed only by a deploy and sync: declare them with defineJob({ schedule: { cron, timezone, payload } }) instead of schedules.upsert/remove at run time",
    "job.concurrency":
      "Inngest function concurrency, across every instance of the app: it limits attempts executing at once",
    "job.timeout":
      "core aborts the handler's signal and fails the attempt; keep it below your platform's request timeout, since each attempt is one HTTP request",
    "jobs.get":
      "Inngest's REST API: the event (v1), its runs with their states and outputs (v2, uncached), and for a running run its queue item (v1, cached 5 s), due later while it waits for a retry; the attempt count comes from the run's output, so a running job shows attempts: 1",
    "jobs.cancel":
      "Inngest's REST API cancels the run (POST /v2/runs/{id}/cancel), waiting briefly for a run Inngest has not created yet; a delayed or waiting job never runs",
    "jobs.cancelRunning":
      "Inngest cancels a run between steps: an attempt already running is not interrupted (its signal does not abort) and its result is dropped",
    "jobs.retry":
      "Inngest's rerun (REST v2, beta): a new run of the same event, with fresh attempts, under the same job id",
    "jobs.listFailed": "Inngest's REST API lists the app's failed runs (REST v2, beta)",
    "jobs.counts":
      "completed, failed and cancelled, counted by paging the app's runs (REST v2, one call per 100 runs, plus one per failed run to leave out those a retry replaced); Inngest has no count, and its queued and running runs do not say which jobs are waiting, delayed (a future event time, a retry's wait) or active",
    "jobs.list":
      "completed, failed and cancelled jobs: pages of the app's runs by status (REST v2, cursor), each read with its event (and a failed one with its event's runs); waiting, delayed and active jobs cannot be listed, for the reason given for counts",
    "jobs.retryFailed":
      "core lists the failed jobs and reruns each (REST v2 `POST /v2/runs/{id}/rerun`, one run a call); Inngest's replay of many runs is a dashboard feature, and no REST call for it is known to the adapter",
    progress: "Inngest keeps no progress of a running attempt that the REST API could show",
    results: "the run's output in Inngest",
    "worker.gracefulStop":
      "an HTTP server that finishes in-flight requests before it exits (the frameworks' default); Inngest retries a request cut off",
    "worker.crashRecovery":
      "Inngest retries a call that broke off (a dead process or connection) after its own backoff (15 s and up); the lost attempt counts",
  },
};
