import {
  JOB_CANCELLED_ERROR_CODE,
  PERMANENT_ERROR_CODE,
  UNSTORABLE_RESULT_ERROR_CODE,
} from "@switchyard/core";
import type { JobRuntime, TraceContext } from "@switchyard/core/adapter";
import type { Receiver } from "@upstash/qstash";
import { attemptResponse, jsonResponse } from "./attempt-response.js";
import { type CarriedBody, type Continuation, parseCarriedBody } from "./continuation.js";
import { ContinuationStore } from "./continuation-store.js";
import { type DeliveryTarget, deliveryTarget, destinationUrl } from "./destination-url.js";
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
  /** The largest body one message may have (the `maxMessageBytes` option). */
  maxMessageBytes: number;
  /**
   * Publishes what carries job `target.run` on: a continuation (due at `notBefore`, epoch ms) or a
   * child's result record. `deduplicationId` comes from the delivered message: a delivery QStash
   * runs again after a crash publishes the same continuation once.
   */
  carryOn(message: CarriedMessage): Promise<void>;
  /** True when the delivered message was cancelled while its call ran (QStash does not interrupt it). */
  cancelRequested(messageId: string): Promise<boolean>;
}

/** A continuation or result record to publish for job `target.run`. */
export interface CarriedMessage {
  target: DeliveryTarget & { run: string };
  body: CarriedBody;
  notBefore?: number;
  deduplicationId: string;
  /** The job's trace context (telemetry), forwarded so that each continuation's attempt keeps it. */
  traceContext?: TraceContext;
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
    let carried: Continuation;
    if (target.run === undefined) {
      carried = { switchyard: "continuation", attempt: 1, payload, steps: [] };
    } else {
      const body = parseCarriedBody(payload);
      if (!body) return permanentFailure(`the continuation of job "${target.job}" is not one`, attempt);
      // A child's result record only holds its result for get(): nothing to run.
      if (body.switchyard === "result") return jsonResponse(200, { switchyard: 1, status: "completed" });
      carried = body;
    }
    // A continuation is not an attempt: it runs as the attempt it carries, plus QStash's own retries.
    const current = carried.attempt + retried;
    const runtime = options.runtime();
    const traceContext = traceContextOfDelivery(request);
    const messageId = request.headers.get(MESSAGE_ID_HEADER) ?? "";
    const id = target.run ?? target.retryOf ?? messageId;
    const steps = new ContinuationStore(carried, options.maxMessageBytes);
    const outcome = await runtime.runAttempt(target.job, {
      id,
      payload: carried.payload,
      attempt: current,
      ...(maxRetries === undefined ? {} : { maxAttempts: carried.attempt + maxRetries }),
      signal: request.signal,
      traceContext,
      steps,
    });
    steps.end();
    const next = { job: target.job, run: id, ...(target.child ? { child: true as const } : {}) };
    const deduplicationId = `next.${messageId}`;
    try {
      const continues = outcome.type === "suspended" || (outcome.type === "retry" && steps.changed);
      if (continues && (await options.cancelRequested(messageId))) {
        // cancel(id) landed during this delivery: the job stops here instead of carrying on.
        const error = { message: `job ${id} was cancelled`, code: JOB_CANCELLED_ERROR_CODE };
        return attemptResponse({ type: "cancelled", error, cause: undefined }, current);
      }
      if (outcome.type === "suspended") {
        const body = steps.continuation(current);
        await options.carryOn({
          target: next,
          body,
          notBefore: outcome.until.getTime(),
          deduplicationId,
          traceContext,
        });
        return jsonResponse(200, { switchyard: 1, status: "suspended", attempt: current });
      }
      if (outcome.type === "retry" && steps.changed) {
        // Steps completed beside the one that failed: the next attempt is a continuation carrying them.
        const body = steps.continuation(current + 1);
        await options.carryOn({
          target: next,
          body,
          notBefore: Date.now() + outcome.delayMs,
          deduplicationId,
          traceContext,
        });
        return jsonResponse(200, { switchyard: 1, status: "retry", attempt: current, error: outcome.error });
      }
      if (outcome.type === "completed" && target.child) {
        const body: CarriedBody = {
          switchyard: "result",
          attempt: current,
          payload: carried.payload,
          ...(outcome.result === undefined ? {} : { result: outcome.result }),
        };
        const bytes = Buffer.byteLength(JSON.stringify(body));
        if (bytes > options.maxMessageBytes) {
          // The parent could never read it: the child fails here, and the parent's invoke with it.
          const message = `the result of child job "${target.job}" takes ${bytes} bytes, over the ${options.maxMessageBytes} bytes of one QStash message (maxMessageBytes); return a reference instead`;
          const error = { message, code: UNSTORABLE_RESULT_ERROR_CODE };
          return attemptResponse({ type: "failed", permanent: true, error, cause: undefined }, current);
        }
        await options.carryOn({ target: next, body, deduplicationId: `result.${id}` });
      }
    } catch (error) {
      // Nothing carries the job on: QStash delivers this message again (the step runs again).
      runtime.logger.warn("could not publish the job's continuation; QStash will deliver it again", {
        job: target.job,
        id,
        error: (error as Error)?.message ?? String(error),
      });
      return jsonResponse(503, { error: "could not publish the continuation" }, { "Retry-After": "1" });
    }
    return attemptResponse(outcome, current, {
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
