import { PERMANENT_ERROR_CODE } from "@switchyard/core";
import type { JobRuntime } from "@switchyard/core/adapter";
import type { Receiver } from "@upstash/qstash";
import { attemptResponse, jsonResponse } from "./attempt-response.js";
import { deliveryTarget, destinationUrl } from "./destination-url.js";
import { traceContextOfDelivery } from "./trace-header.js";

/** Delivery headers QStash sets (upstash/docs qstash/howto/receiving.mdx). */
const SIGNATURE_HEADER = "upstash-signature";
const MESSAGE_ID_HEADER = "upstash-message-id";
/** "How often the message has been retried so far. Starts with 0." */
const RETRIED_HEADER = "upstash-retried";
/** The retries QStash applies to this message, echoed on every delivery. */
const MAX_RETRIES_HEADER = "upstash-max-retries";

export interface DeliveryHandlerOptions {
  /** The public handler URL the adapter publishes to (without `job`). */
  handlerUrl: string;
  receiver: Receiver;
  clockToleranceSeconds: number;
  runtime(): JobRuntime;
}

/**
 * The route QStash calls, as a Web `Request → Response` function. In order:
 * 1. answers 401 at once when there is no `Upstash-Signature`; otherwise reads the raw body and
 *    verifies the signature with the Receiver (current key, then next), including the `sub` claim
 *    against the URL this adapter publishes that job to: a forged, expired, tampered or other-URL
 *    signature gets 401 and nothing else happens;
 * 2. parses the JSON payload (not JSON: a permanent failure);
 * 3. reads the attempt from `Upstash-Retried` (+1) and maxAttempts from `Upstash-Max-Retries` (+1);
 * 4. runs the attempt through core and answers with the status QStash understands (attempt-response.ts).
 */
export function createDeliveryHandler(
  options: DeliveryHandlerOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const signature = request.headers.get(SIGNATURE_HEADER);
    if (!signature) return unauthorized(options, "no Upstash-Signature header");
    let body: string;
    try {
      body = await request.text();
    } catch {
      return jsonResponse(400, { error: "could not read the request body" });
    }
    const target = deliveryTarget(request.url);
    const expectedUrl = target ? destinationUrl(options.handlerUrl, target) : options.handlerUrl;
    try {
      await options.receiver.verify({
        signature,
        body,
        url: expectedUrl,
        clockTolerance: options.clockToleranceSeconds,
      });
    } catch (error) {
      return unauthorized(options, (error as Error)?.message ?? String(error));
    }

    // The signature is QStash's: from here on, every answer is one QStash acts on.
    const retried = nonNegativeInteger(request.headers.get(RETRIED_HEADER)) ?? 0;
    const maxRetries = nonNegativeInteger(request.headers.get(MAX_RETRIES_HEADER));
    const attempt = retried + 1;
    if (!target) return permanentFailure(`the delivery URL has no "job" parameter: ${request.url}`, attempt);
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return permanentFailure(`the body of the delivery for job "${target.job}" is not JSON`, attempt);
    }
    const runtime = options.runtime();
    const id = target.retryOf ?? request.headers.get(MESSAGE_ID_HEADER) ?? "";
    const outcome = await runtime.runAttempt(target.job, {
      id,
      payload,
      attempt,
      ...(maxRetries === undefined ? {} : { maxAttempts: maxRetries + 1 }),
      signal: request.signal,
      traceContext: traceContextOfDelivery(request),
    });
    return attemptResponse(outcome, attempt, {
      log: (message) => runtime.logger.warn(message, { job: target.job, id }),
    });
  };
}

function unauthorized(options: DeliveryHandlerOptions, reason: string): Response {
  try {
    options.runtime().logger.warn("rejected a request without a valid QStash signature", { reason });
  } catch {
    // Not attached yet: nothing to log to.
  }
  return jsonResponse(401, { error: "invalid or missing Upstash-Signature" });
}

/** A signed delivery that cannot run at all: failed for good, answered like any permanent failure. */
function permanentFailure(message: string, attempt: number): Response {
  const error = { message, code: PERMANENT_ERROR_CODE };
  return attemptResponse({ type: "failed", permanent: true, error, cause: undefined }, attempt);
}

function nonNegativeInteger(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}
