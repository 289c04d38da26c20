import { randomBytes } from "node:crypto";
import type { QStashEmulatorOptions } from "./interfaces.js";
import { DEFAULT_MAX_DELAY_MS, DEFAULT_MAX_MESSAGE_BYTES } from "./plan-limits.js";

/** QStash free plan: 3 retries unless `Upstash-Retries` says otherwise (OA:626-635, qstash/features/retry.mdx). */
export const DEFAULT_RETRIES = 3;
/** Free-plan "Max HTTP Response Duration" (qstash/features/retry.mdx warning: 15 minutes). */
export const DEFAULT_MAX_RESPONSE_DURATION_MS = 15 * 60_000;
/** "published in the last 10 minutes" (OA Upstash-Deduplication-Id, upstash/docs#441). */
export const DEFAULT_DEDUPLICATION_WINDOW_MS = 10 * 60_000;
export const DEFAULT_TOKEN = "qstash-emulator-token";

export type ResolvedOptions = Required<Omit<QStashEmulatorOptions, "startTime">> & { startTime?: number };

/** Fills in defaults and rejects values that would make the emulator misbehave silently. */
export function resolveOptions(options: QStashEmulatorOptions = {}): ResolvedOptions {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new RangeError(`timeScale must be a positive number, got ${options.timeScale}`);
  }
  const defaultRetries = options.defaultRetries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(defaultRetries) || defaultRetries < 0) {
    throw new RangeError(`defaultRetries must be a non-negative integer, got ${options.defaultRetries}`);
  }
  const startTime = options.startTime === undefined ? undefined : Number(options.startTime);
  return {
    token: options.token ?? DEFAULT_TOKEN,
    currentSigningKey: options.currentSigningKey ?? randomSigningKey(),
    nextSigningKey: options.nextSigningKey ?? randomSigningKey(),
    port: options.port ?? 0,
    timeScale,
    ...(startTime === undefined ? {} : { startTime }),
    defaultRetries,
    maxResponseDurationMs: options.maxResponseDurationMs ?? DEFAULT_MAX_RESPONSE_DURATION_MS,
    deduplicationWindowMs: options.deduplicationWindowMs ?? DEFAULT_DEDUPLICATION_WINDOW_MS,
    retryAfterOverridesRetryDelay: options.retryAfterOverridesRetryDelay ?? false,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
  };
}

/** Real keys look like `sig_` + 28 base58 characters; any string works since it is used as raw HMAC bytes. */
export function randomSigningKey(): string {
  return `sig_${randomBytes(21).toString("base64url")}`;
}
