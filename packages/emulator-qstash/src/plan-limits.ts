import { HttpError } from "./http-error.js";
import type { PublishRequest } from "./publish-request.js";

/** The free plan's "Max Message Size": 1 MB (upstash.com/pricing/qstash). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
/** "For free: The maximum allowed delay is 7 days" (upstash/docs qstash/features/delay.mdx). */
export const DEFAULT_MAX_DELAY_MS = 7 * 86_400_000;

/**
 * Refuses a publish over the plan's limits, before anything is stored. The status codes are inferred
 * (the docs give the limits, not the answers): 413 for a body over the maximum message size, 400 for
 * a delay or not-before time further than the maximum delay.
 */
export function checkPlanLimits(
  request: PublishRequest,
  limits: { maxMessageBytes: number; maxDelayMs: number },
): void {
  const size = request.spec.body.byteLength;
  if (size > limits.maxMessageBytes) {
    throw new HttpError(
      413,
      `message size ${size} bytes exceeds the maximum message size of your plan (${limits.maxMessageBytes} bytes)`,
    );
  }
  const delayMs =
    request.notBeforeMs !== undefined ? request.notBeforeMs - Date.now() : (request.delayMs ?? 0);
  if (delayMs > limits.maxDelayMs) {
    throw new HttpError(
      400,
      `delay of ${Math.round(delayMs / 1_000)} s exceeds the maximum delay of your plan (${limits.maxDelayMs / 1_000} s)`,
    );
  }
}
