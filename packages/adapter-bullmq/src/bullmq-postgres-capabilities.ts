import type { Capabilities } from "@switchyard/core";
import { featureTable } from "@switchyard/core/adapter";
import { bullmqCapabilities, DEFAULT_IDEMPOTENCY_TTL_MS } from "./bullmq-capabilities.js";

/** Why a feature of the Redis adapter is missing on BullMQ's PostgreSQL backend. */
const FIXED_COLUMNS =
  "BullMQ's PostgreSQL backend stores a job as a row of fixed columns: moveToDelayed's fieldsToUpdate keeps only failedReason and stacktrace, so the adapter's step fields and resume mark (extra fields of the job's hash on Redis) have nowhere to go; a step table of the adapter's own is not written yet";

/**
 * What `bullmq({ postgres })` can do: BullMQ's own features work on its PostgreSQL backend as on
 * Redis; durable steps, which the Redis adapter keeps in the job's hash, are not there; cancel
 * notices go by NOTIFY instead of pub/sub. Same words as bullmqCapabilities otherwise.
 */
export const bullmqPostgresCapabilities: Capabilities = {
  backend: "bullmq-postgres",
  execution: "worker",
  features: featureTable({
    ...bullmqCapabilities.features,
    "job.concurrency": "native",
    "steps.run": "unsupported",
    "steps.sleep": "unsupported",
    "steps.invoke": "unsupported",
  }),
  idempotency: { window: "ttl", defaultTtlMs: DEFAULT_IDEMPOTENCY_TTL_MS, clearedOnFailure: false },
  jobStates: bullmqCapabilities.jobStates,
  notes: {
    ...bullmqCapabilities.notes,
    "jobs.counts":
      "one SQL count over BullMQ's job table (its state column; waiting includes prioritized and waiting-children) for the client's jobs, or every job in the schema for an operator's client (jobs: []); cancelled adds the adapter's switchyard_cancelled records to the jobs BullMQ failed with SWITCHYARD_JOB_CANCELLED, which do not count as failed; a schedule's next run, which BullMQ keeps as a delayed job, counts (and lists) as delayed",
    "jobs.list":
      "one SQL page over BullMQ's job table (and switchyard_cancelled), newest first by the time the job entered its state (waiting: creation; active: start; delayed: due time; finished: end), then BullMQ's insertion order; a page continues below the last row listed, whose keys a job keeps while it stays in its state, so jobs leaving the state between pages make no page skip another",
    "job.concurrency":
      "BullMQ global concurrency of the job's queue (a row of its meta table), across all workers: each worker sets it to its code's limit when it starts, so the worker started last decides",
    "jobs.cancel":
      "BullMQ has no cancelled state: a waiting or delayed job is removed and its record kept (a row of the adapter's switchyard_cancelled table) for get(id); the pending next run of a schedule cannot be cancelled (remove the schedule)",
    "jobs.cancelRunning":
      "BullMQ's PostgreSQL backend offers no pub/sub to its users, so the adapter marks the job (a row of switchyard_cancelled) and NOTIFYs switchyard_cancel; each worker LISTENs on a connection of its own and aborts the job's signal; the job ends failed in BullMQ and cancelled in Switchyard",
    "worker.crashRecovery":
      "BullMQ's lock and stalled check, in the job row (locked_until_ms): a dead worker's jobs run again after lockDuration (default 30 s); the lost attempt counts",
    "steps.run": `not on PostgreSQL: ${FIXED_COLUMNS}`,
    "steps.sleep": `not on PostgreSQL: a sleep needs the step store (${FIXED_COLUMNS})`,
    "steps.invoke": `not on PostgreSQL: an invoke needs the step store (${FIXED_COLUMNS})`,
  },
};
