import type { EnqueueRequest } from "./backend.js";
import { type Capabilities, requireFeature } from "./capabilities.js";
import { MAX_DURATION_MS, toMilliseconds } from "./duration.js";
import { ConfigError } from "./errors/config-error.js";
import type { EnqueueOptions, JobDefinition } from "./interfaces.js";
import { describeValue, hasControlCharacter } from "./option-checks.js";

export const ENQUEUE_OPTION_KEYS = [
  "delay",
  "runAt",
  "priority",
  "idempotencyKey",
  "idempotencyTtl",
  "concurrencyKey",
];

/**
 * Checks a key (idempotency or concurrency) once for every backend: a string of 1-256 characters
 * without control characters.
 */
function checkKey(key: unknown, what: string): string {
  if (typeof key !== "string" || key.length === 0 || key.length > 256 || hasControlCharacter(key)) {
    throw new ConfigError(
      `${what} must be a string of 1-256 characters without control characters, got ${describeValue(key)}`,
    );
  }
  return key;
}

/**
 * Turns one enqueue call into a backend request: resolves durations and the idempotency key, and
 * throws (ConfigError, NotSupportedError) before anything reaches the backend.
 */
export function resolveEnqueue(
  capabilities: Capabilities,
  job: JobDefinition,
  payload: unknown,
  options: EnqueueOptions,
  now: number,
): EnqueueRequest {
  const where = `enqueue of "${job.name}"`;
  const request: EnqueueRequest = { job, payload };
  if (options.delay !== undefined && options.runAt !== undefined) {
    throw new ConfigError(`${where}: give delay or runAt, not both`);
  }
  if (options.delay !== undefined) {
    requireFeature(capabilities, "enqueue.delay", "enqueue option delay");
    const delayMs = toMilliseconds(options.delay, `${where}: delay`);
    if (delayMs > 0) request.runAt = new Date(now + delayMs);
  }
  if (options.runAt !== undefined) {
    requireFeature(capabilities, "enqueue.runAt", "enqueue option runAt");
    if (!(options.runAt instanceof Date) || Number.isNaN(options.runAt.getTime())) {
      throw new ConfigError(`${where}: runAt must be a valid Date, got ${describeValue(options.runAt)}`);
    }
    if (options.runAt.getTime() > now + MAX_DURATION_MS) {
      throw new ConfigError(
        `${where}: runAt must be at most 10 years ahead, got ${options.runAt.toISOString()}`,
      );
    }
    if (options.runAt.getTime() > now) request.runAt = options.runAt;
  }
  if (options.priority !== undefined) {
    requireFeature(capabilities, "enqueue.priority", "enqueue option priority");
    const { priority } = options;
    if (!Number.isInteger(priority) || priority < 0 || priority > 1000) {
      throw new ConfigError(
        `${where}: priority must be an integer from 0 to 1000 (lower runs first), got ${describeValue(priority)}`,
      );
    }
    request.priority = priority;
  }
  const key = options.idempotencyKey ?? job.idempotencyKey?.(payload as never);
  if (key !== undefined) {
    requireFeature(capabilities, "idempotency", "idempotency keys");
    request.idempotencyKey = checkKey(key, `${where}: idempotency key`);
    const ttlMs =
      options.idempotencyTtl === undefined
        ? job.idempotencyTtlMs
        : toMilliseconds(options.idempotencyTtl, `${where}: idempotencyTtl`);
    if (ttlMs !== undefined) {
      requireFeature(capabilities, "idempotency.ttl", "idempotencyTtl");
      request.idempotencyTtlMs = ttlMs;
    }
  } else if (options.idempotencyTtl !== undefined) {
    throw new ConfigError(`${where}: idempotencyTtl needs an idempotency key`);
  }
  if (options.concurrencyKey !== undefined) {
    requireFeature(capabilities, "enqueue.concurrencyKey", "enqueue option concurrencyKey");
    if (job.concurrency === undefined) {
      throw new ConfigError(`${where}: concurrencyKey needs the job to set concurrency (the limit per key)`);
    }
    request.concurrencyKey = checkKey(options.concurrencyKey, `${where}: concurrencyKey`);
  }
  return request;
}
