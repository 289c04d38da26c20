import { ConfigError } from "@switchyard/core";
import { describeValue } from "@switchyard/core/adapter";

/** Query parameter naming the job a delivery is for. */
export const JOB_PARAM = "job";
/** Query parameter carrying the Switchyard id of a job published again by `retry(id)`. */
export const RETRY_PARAM = "retry";
/** Query parameter carrying the Switchyard id of a job a continuation carries on (durable steps). */
export const RUN_PARAM = "run";
/** Query parameter marking a child job of `ctx.step.invoke`: its completion publishes its result. */
export const CHILD_PARAM = "child";

/** What a delivery URL says beyond the handler's own URL. */
export interface DeliveryTarget {
  job: string;
  /** The id of the dead-lettered job this message runs again, when it came from `retry(id)`. */
  retryOf?: string;
  /**
   * The id of the job this message carries on: the body is then a continuation (the payload and
   * the steps completed so far) or a child's result record (continuation.ts).
   */
  run?: string;
  /** A child job of `ctx.step.invoke`: once completed, its result is published for the parent. */
  child?: true;
}

/**
 * Where QStash delivers a job: the handler URL with `?job=<name>` (and `&retry=<id>`) added.
 *
 * The job name travels in the URL, not in a forwarded header, because the signature's `sub` claim
 * covers the URL and nothing else but the body: a signed request replayed with another job name fails
 * verification, while a forwarded header could be changed freely.
 */
export function destinationUrl(handlerUrl: string, target: DeliveryTarget): string {
  const url = new URL(handlerUrl);
  // Always in this order, whatever URL it starts from: log filters match URLs exactly.
  for (const param of [JOB_PARAM, RETRY_PARAM, RUN_PARAM, CHILD_PARAM]) url.searchParams.delete(param);
  url.searchParams.set(JOB_PARAM, target.job);
  if (target.retryOf !== undefined) url.searchParams.set(RETRY_PARAM, target.retryOf);
  if (target.run !== undefined) url.searchParams.set(RUN_PARAM, target.run);
  if (target.child) url.searchParams.set(CHILD_PARAM, "1");
  return url.toString();
}

/** Reads the job name and retry id from a delivery's URL (as QStash called it); undefined without a job. */
export function deliveryTarget(requestUrl: string): DeliveryTarget | undefined {
  let params: URLSearchParams;
  try {
    params = new URL(requestUrl, "http://localhost").searchParams;
  } catch {
    return undefined;
  }
  const job = params.get(JOB_PARAM);
  if (!job) return undefined;
  const target: DeliveryTarget = { job };
  const retryOf = params.get(RETRY_PARAM);
  if (retryOf) target.retryOf = retryOf;
  const run = params.get(RUN_PARAM);
  if (run) target.run = run;
  if (params.get(CHILD_PARAM) === "1") target.child = true;
  return target;
}

/** Throws ConfigError unless `url` is an absolute http(s) URL without a `job` or `retry` parameter. */
export function assertHandlerUrl(url: string, where: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `${where}: url must be the absolute public URL of jobs.handler(), got ${describeValue(url)}`,
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ConfigError(`${where}: url must be an http(s) URL, got ${describeValue(url)}`);
  }
  for (const reserved of [JOB_PARAM, RETRY_PARAM, RUN_PARAM, CHILD_PARAM]) {
    if (parsed.searchParams.has(reserved)) {
      throw new ConfigError(
        `${where}: url must not have a "${reserved}" query parameter (the adapter adds it), got ${describeValue(url)}`,
      );
    }
  }
}
