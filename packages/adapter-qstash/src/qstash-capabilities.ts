import type { Capabilities } from "@switchyard/core";
import { featureTable } from "@switchyard/core/adapter";
import { QSTASH_JOB_STATES } from "./job-listing.js";

/**
 * QStash remembers a deduplication id for a window it fixes: "published in the last 10 minutes"
 * (upstash/docs qstash/openapi.yaml, Upstash-Deduplication-Id; confirmed in upstash/docs#441). The
 * SDK's JSDoc still says 90 days; the current documentation wins.
 */
export const QSTASH_DEDUPLICATION_WINDOW_MS = 10 * 60_000;

/** What the QStash adapter can do. Every entry here is exercised by the conformance kit. */
export const qstashCapabilities: Capabilities = {
  backend: "qstash",
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
    "schedule.imperative": "native",
    "job.concurrency": "native",
    "job.timeout": "emulated",
    "jobs.get": "native",
    "jobs.cancel": "native",
    "jobs.retry": "emulated",
    "jobs.listFailed": "native",
    "jobs.counts": "native",
    "jobs.list": "native",
    "jobs.retryFailed": "emulated",
    "worker.gracefulStop": "native",
    "worker.crashRecovery": "native",
    "steps.run": "emulated",
    "steps.sleep": "native",
    "steps.invoke": "emulated",
  }),
  idempotency: {
    window: "fixed",
    fixedWindowMs: QSTASH_DEDUPLICATION_WINDOW_MS,
    clearedOnFailure: false,
  },
  jobStates: { counted: QSTASH_JOB_STATES, listed: QSTASH_JOB_STATES },
  notes: {
    "enqueue.delay":
      "QStash delays have one-second resolution (Upstash-Delay / Upstash-Not-Before); a fraction of a second is rounded up, never down",
    "enqueue.priority": "QStash delivers messages without any priority order",
    "retry.backoff.fixed":
      "core computes each delay and the handler answers the failed attempt with Retry-After; messages carry no Upstash-Retry-Delay (whether Retry-After beats one is not documented). A delivery that gets no answer is retried after QStash's default backoff (12 s first)",
    "retry.backoff.exponential":
      "core computes each delay (any factor) and the handler answers with Retry-After, as for fixed backoff",
    "retry.backoff.max": "applied by core before the Retry-After answer; QStash honours up to one day",
    "retry.jitter": "core's jittered delay, answered as Retry-After",
    idempotency:
      "the key becomes an Upstash-Deduplication-Id; QStash remembers it for a fixed 10 minutes from the first enqueue, whatever the job finished with",
    "idempotency.ttl": "QStash fixes the deduplication window at 10 minutes; a ttl cannot be chosen",
    "schedule.every": "QStash schedules are cron expressions only; use a cron expression",
    "schedule.seconds": "QStash cron has five fields: one-minute resolution",
    "schedule.cron": "a new schedule can take up to 60 seconds before QStash fires it the first time",
    "job.concurrency":
      "a QStash flow-control key per job (and per concurrency key) with parallelism = the job's concurrency",
    "job.timeout": "enforced in the handler's process by aborting the attempt's signal",
    "jobs.cancelRunning":
      "QStash stops retrying a message cancelled mid-delivery but does not interrupt the HTTP call, and the handler runs in whichever instance QStash called",
    "jobs.retry":
      "the dead-lettered message is published again under the same Switchyard id (dlq.retry would give it a new one), then removed from the dead-letter queue",
    progress: "QStash stores nothing a handler could report progress to",
    results:
      "QStash keeps no response body of a delivered message (its logs keep responses of failed attempts only)",
    "worker.gracefulStop":
      "the HTTP server (or the platform) lets in-flight deliveries finish before it stops",
    "worker.crashRecovery":
      "a delivery whose connection breaks is a failed attempt for QStash, which retries it after its default backoff (12 s first); that attempt counts",
    "jobs.counts":
      "failed and completed only, counted by paging the dead-letter queue (one call per 100) and the DELIVERED log entries (one call per 1,000); QStash has no call that lists or counts messages waiting, delayed or in flight, and completed jobs count as far back as its logs are kept",
    "jobs.list":
      "failed jobs are pages of the dead-letter queue, completed ones pages of the DELIVERED log entries (each job then read with its log, one call per 50 jobs); waiting, delayed and active jobs cannot be listed (QStash reads an in-flight message only by its id)",
    "jobs.retryFailed":
      "core lists the failed jobs and retries each (publish again, then delete the DLQ entry): QStash's bulk dlq.retry gives each message a new id that would lose the job's id",
    "steps.run":
      "each step ends its delivery: the handler publishes a continuation message carrying the payload and every completed step (as Upstash Workflow does), signed and verified like any delivery; a step that would make it larger than one message (maxMessageBytes, 1 MB on the free plan) fails the job with UnstorableResultError. One extra message per step counts against the plan's daily quota",
    "steps.sleep":
      "a continuation published with Upstash-Not-Before (one-second resolution, never early); a sleep longer than the plan's longest delay (maxDelayMs, 7 days on the free plan) is slept in hops",
    "steps.invoke":
      "the child is a message whose completion publishes its result (QStash keeps none); the parent looks at it again in delayed continuations (at least one second apart)",
    "jobs.cancel":
      "messages.cancel; QStash logs CANCEL_REQUESTED at once and CANCELLED at the message's delivery time, and the job reads cancelled from the first",
  },
};
