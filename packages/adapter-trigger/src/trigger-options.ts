import type { Duration } from "@switchyard/core";

/**
 * Options of {@link trigger}. Each field's default is in its JSDoc. Every field accepts `undefined`,
 * so `process.env.X` can be passed as it is (with `exactOptionalPropertyTypes` too).
 */
export interface TriggerBackendOptions {
  /**
   * The secret key of the Trigger.dev environment the jobs run in (`tr_dev_…`, `tr_prod_…`, from
   * the dashboard's API keys page). Default: the SDK's own credentials, that is
   * `TRIGGER_SECRET_KEY`, and inside a Trigger.dev run the run's token, so that the module that
   * creates the client can be imported by the Trigger.dev CLI and its workers. Without any, the
   * first call to Trigger.dev fails with a ConfigError naming TRIGGER_SECRET_KEY.
   */
  secretKey?: string | undefined;
  /**
   * The Trigger.dev API. Default: the SDK's, which is `TRIGGER_API_URL` when set, else
   * `https://api.trigger.dev`. Set it for a self-hosted instance (or the test kit's emulator).
   */
  baseURL?: string | undefined;
  /**
   * The id of the scheduled task that runs the schedules created with `jobs.schedules.upsert`
   * (`toTriggerTasks` defines it). Change it only if a job or another task already uses the id.
   * Default: `"switchyard-schedules"`.
   */
  scheduleTaskId?: string | undefined;
  /**
   * How long `enqueueMany` waits for Trigger.dev to create the runs of a batch before it gives up
   * with an error (the batch API creates them after it answers). At most 10 minutes. Default: `"30s"`.
   */
  batchTimeout?: Duration | undefined;
  /**
   * How a call to Trigger.dev that failed on the way, or with 5xx, 408, 409 or 429, is tried again:
   * `maxAttempts` tries in all, `minDelay` before the second, then `factor` times longer each time, at
   * most `maxDelay` (at most 5 minutes). Default: the SDK's, 5 tries, 1 s then ×1.6, at most 30 s
   * (about 9 s in all). A trigger without idempotency key, and a replay, are not tried again once a
   * try may have reached Trigger.dev: a second try could start a second run.
   */
  requestRetry?:
    | {
        maxAttempts?: number | undefined;
        minDelay?: Duration | undefined;
        maxDelay?: Duration | undefined;
        factor?: number | undefined;
      }
    | undefined;
}
