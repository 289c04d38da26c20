import type { JobDefinition } from "@switchyard/core";
import type { EnqueueRequest } from "@switchyard/core/adapter";
import type { PublishRequest } from "@upstash/qstash";
import type { AccountKeys } from "./account-keys.js";
import { destinationUrl } from "./destination-url.js";
import { traceHeaders } from "./trace-header.js";

/** Where this app's jobs are published to, and the account-wide names of its namespace. */
export interface PublishContext {
  /** The public URL of `jobs.handler()` (the `url` option). */
  handlerUrl: string;
  keys: AccountKeys;
}

/** What the adapter passes to `publishJSON` / `batchJSON` for one job (the URL form of PublishRequest). */
export type JobPublishRequest = PublishRequest<unknown> & { url: string; body: unknown };

/** Settings every message of a job carries, whether enqueued, scheduled or published again by retry(id). */
export interface JobMessageSettings {
  url: string;
  /**
   * `Upstash-Retries`: QStash counts retries after the first attempt, so maxAttempts - 1. No
   * `Upstash-Retry-Delay` is sent: the handler answers every failed attempt with the delay core's
   * policy chose, as `Retry-After` (attempt-response.ts).
   */
  retries: number;
  /** `Upstash-Flow-Control-*`: the job's concurrency as a per-key parallelism. */
  flowControl?: { key: string; parallelism: number };
  /** `Upstash-Label`: the namespace (for listFailed) and the job. */
  label: string[];
}

export function jobMessageSettings(
  job: JobDefinition,
  context: PublishContext,
  options: { concurrencyKey?: string; retryOf?: string; child?: boolean } = {},
): JobMessageSettings {
  const { keys } = context;
  return {
    url: destinationUrl(context.handlerUrl, {
      job: job.name,
      ...(options.retryOf === undefined ? {} : { retryOf: options.retryOf }),
      ...(options.child ? { child: true as const } : {}),
    }),
    retries: job.retry.maxAttempts - 1,
    ...(job.concurrency === undefined
      ? {}
      : {
          flowControl: {
            key: keys.flowControlKey(job.name, options.concurrencyKey),
            parallelism: job.concurrency,
          },
        }),
    label: [keys.label, keys.jobLabel(job.name)],
  };
}

/**
 * One enqueue as a QStash publish: the payload is the JSON body; `runAt` becomes `notBefore` (unix
 * seconds) when it falls on a whole second, else a relative `delay` in whole seconds rounded up, so
 * that a job never starts early (QStash has no finer delay); the idempotency key becomes the
 * deduplication id.
 */
export function jobPublishRequest(
  request: EnqueueRequest,
  context: PublishContext,
  now: number = Date.now(),
): JobPublishRequest {
  const settings = jobMessageSettings(request.job, context, {
    ...(request.concurrencyKey === undefined ? {} : { concurrencyKey: request.concurrencyKey }),
    // A child of ctx.step.invoke publishes its result once completed, for its parent to read.
    ...(request.parent === undefined ? {} : { child: true }),
  });
  const publish: JobPublishRequest = { ...settings, body: request.payload };
  if (request.traceContext) publish.headers = traceHeaders(request.traceContext);
  if (request.runAt !== undefined) {
    const at = request.runAt.getTime();
    if (at > now) {
      if (at % 1_000 === 0) publish.notBefore = at / 1_000;
      else publish.delay = Math.ceil((at - now) / 1_000);
    }
  }
  if (request.idempotencyKey !== undefined) {
    publish.deduplicationId = context.keys.deduplicationId(request.job.name, request.idempotencyKey);
  }
  return publish;
}
