import type { JobError } from "../interfaces.js";

/** What every lifecycle event carries. */
interface JobEventBase {
  /** The job's id. */
  id: string;
  /** The job's name. */
  name: string;
  /** When it happened. */
  at: Date;
}

/**
 * A job's lifecycle, as the client sees it. `enqueued` and `deduplicated` come from the process that
 * enqueues; the others from the process that runs the attempt (a worker, or the route a push
 * platform calls), on every backend. An attempt's events come in order (`started`, then its outcome);
 * `enqueued` is emitted when the enqueue call returns, so a worker in the same process may report
 * `started` first.
 */
export type JobEvent =
  | (JobEventBase & { type: "enqueued"; runAt?: Date })
  | (JobEventBase & { type: "deduplicated"; idempotencyKey: string })
  | (JobEventBase & { type: "started"; attempt: number })
  | (JobEventBase & { type: "completed"; attempt: number; durationMs: number })
  | (JobEventBase & {
      type: "retrying";
      attempt: number;
      durationMs: number;
      error: JobError;
      delayMs: number;
    })
  /** Failed for good: no attempt left, or a permanent error. The job is dead-lettered (`listFailed`). */
  | (JobEventBase & {
      type: "failed";
      attempt: number;
      durationMs: number;
      error: JobError;
      permanent: boolean;
    })
  | (JobEventBase & { type: "cancelled"; attempt: number; durationMs: number })
  /** A durable step suspended the job (a sleep, a wait for a child) until `until`. */
  | (JobEventBase & { type: "suspended"; attempt: number; durationMs: number; until: Date });

export type JobEventType = JobEvent["type"];

/** A listener of one event type, or of all (`"*"`). */
export type JobEventListener<T extends JobEventType | "*" = "*"> = (
  event: T extends JobEventType ? Extract<JobEvent, { type: T }> : JobEvent,
) => void | Promise<void>;
