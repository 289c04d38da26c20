import type { Duration } from "@switchyard/core";

/** Options of {@link trigger}. Each field's default is in its JSDoc. */
export interface TriggerBackendOptions {
  /**
   * The secret key of the Trigger.dev environment the jobs run in (`tr_dev_…`, `tr_prod_…`, from
   * the dashboard's API keys page). Default: the SDK's own credentials, that is
   * `TRIGGER_SECRET_KEY`, and inside a Trigger.dev run the run's token, so that the module that
   * creates the client can be imported by the Trigger.dev CLI and its workers. Without any, the
   * first call to Trigger.dev fails with the SDK's error naming TRIGGER_SECRET_KEY.
   */
  secretKey?: string;
  /**
   * The Trigger.dev API. Default: the SDK's, which is `TRIGGER_API_URL` when set, else
   * `https://api.trigger.dev`. Set it for a self-hosted instance (or the test kit's emulator).
   */
  baseURL?: string;
  /**
   * The id of the scheduled task that runs the schedules created with `jobs.schedules.upsert`
   * (`toTriggerTasks` defines it). Change it only if a job or another task already uses the id.
   * Default: `"switchyard-schedules"`.
   */
  scheduleTaskId?: string;
  /**
   * How long `enqueueMany` waits for Trigger.dev to create the runs of a batch before it gives up
   * with an error (the batch API creates them after it answers). Default: `"30s"`.
   */
  batchTimeout?: Duration;
}
