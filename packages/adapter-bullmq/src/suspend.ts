// A suspended job (a durable step's sleep, or a wait for a child job) on BullMQ: its documented
// step-job pattern, `job.moveToDelayed(timestamp, token)` then a DelayedError from the processor. The
// move releases the job's lock and its worker slot; the job waits in the delayed set like any delayed
// job, so `get` shows it delayed and `cancel` removes it.
import { DelayedError, Job, Worker } from "bullmq";
import { RESUME_FIELD } from "./step-fields.js";

/**
 * A BullMQ job that can be suspended without counting an attempt. `job.moveToDelayed` already skips
 * `attemptsMade`; the same atomic move (BullMQ's `fieldsToUpdate`) marks the job's next start as a
 * resume, whose start step-store.ts hands back (`attemptsStarted` is the Switchyard attempt number: see
 * bullmq-worker.ts). So a resume is not an attempt, in ctx.attempt, in the retry budget and in
 * `get(id).attempts`.
 */
export class SuspendableJob extends Job {
  async suspend(until: number, token: string | undefined): Promise<never> {
    const now = Date.now();
    await this.backend.moveToDelayed(this.id!, now, Math.max(0, until - now), token, {
      skipAttempt: true,
      fieldsToUpdate: { [RESUME_FIELD]: 1 },
    });
    throw new DelayedError();
  }
}

/** BullMQ's Worker, making SuspendableJobs of the jobs it fetches. */
export class SwitchyardQueueWorker extends Worker {
  protected override get Job(): typeof Job {
    return SuspendableJob as typeof Job;
  }
}

/** Suspends `job` (made by a SwitchyardQueueWorker) until `until`; throws BullMQ's DelayedError once moved. */
export function suspendJob(job: Job, until: Date, token: string | undefined): Promise<never> {
  return (job as SuspendableJob).suspend(until.getTime(), token);
}
