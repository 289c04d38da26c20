import { ConfigError, type Duration } from "@switchyard/core";
import { checkOptions, describeValue, MAX_TIMER_MS, toMilliseconds } from "@switchyard/core/adapter";
import type { KeepJobs } from "bullmq";
import type { RedisOptions } from "ioredis";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "./bullmq-capabilities.js";
import type { BullmqBackendOptions } from "./bullmq-options.js";
import { type IoredisClient, isIoredisClient } from "./redis-client.js";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

const KNOWN_OPTIONS: ReadonlyArray<keyof BullmqBackendOptions> = [
  "connection",
  "url",
  "prefix",
  "commandTimeout",
  "readyTimeout",
  "defaultIdempotencyTtl",
  "lockDuration",
  "stalledInterval",
  "removeOnComplete",
  "removeOnFail",
  "cancelledRetention",
];

const PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Where the adapter's connections come from: exactly one of these. */
export type RedisSource = { client: IoredisClient } | { options: RedisOptions } | { url: string };

/** `bullmq()` options, checked once, with defaults applied and durations in milliseconds. */
export interface ResolvedBullmqOptions {
  source: RedisSource;
  prefix: string;
  commandTimeoutMs: number;
  /** Absent: `worker.ready` waits for Redis as long as it takes. */
  readyTimeoutMs?: number;
  defaultIdempotencyTtlMs: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  cancelledRetentionMs: number;
  keep: { removeOnComplete?: boolean | number | KeepJobs; removeOnFail?: boolean | number | KeepJobs };
}

/** Checks every option before anything connects; a ConfigError names the option at fault. */
export function resolveBullmqOptions(input: BullmqBackendOptions | undefined): ResolvedBullmqOptions {
  const options = checkOptions(input, "bullmq()", KNOWN_OPTIONS);
  const prefix = options.prefix ?? "switchyard";
  if (typeof prefix !== "string" || !PREFIX_PATTERN.test(prefix)) {
    throw new ConfigError(
      `bullmq(): prefix must be 1-64 letters, digits, ".", ":", "-" or "_", got ${describeValue(prefix)}`,
    );
  }
  const resolved: ResolvedBullmqOptions = {
    source: resolveSource(options.connection, options.url),
    prefix,
    commandTimeoutMs: timerDuration(options.commandTimeout ?? "5s", "commandTimeout"),
    defaultIdempotencyTtlMs:
      options.defaultIdempotencyTtl === undefined
        ? DEFAULT_IDEMPOTENCY_TTL_MS
        : toMilliseconds(options.defaultIdempotencyTtl, "bullmq(): defaultIdempotencyTtl"),
    lockDurationMs: timerDuration(options.lockDuration ?? "30s", "lockDuration"),
    stalledIntervalMs: timerDuration(options.stalledInterval ?? "30s", "stalledInterval"),
    cancelledRetentionMs: atLeastOneMs(options.cancelledRetention ?? "7d", "cancelledRetention"),
    keep: {},
  };
  if (options.readyTimeout !== undefined) {
    resolved.readyTimeoutMs = atLeastOneMs(options.readyTimeout, "readyTimeout");
  }
  if (options.removeOnComplete !== undefined) {
    resolved.keep.removeOnComplete = checkKeep(options.removeOnComplete, "removeOnComplete");
  }
  if (options.removeOnFail !== undefined) {
    resolved.keep.removeOnFail = checkKeep(options.removeOnFail, "removeOnFail");
  }
  return resolved;
}

function resolveSource(connection: unknown, url: unknown): RedisSource {
  if (connection !== undefined && url !== undefined) {
    throw new ConfigError("bullmq(): give connection or url, not both");
  }
  if (connection === undefined) {
    if (url === undefined) return { url: DEFAULT_REDIS_URL };
    if (typeof url !== "string" || !/^(rediss?:\/\/|\/)/.test(url.trim())) {
      throw new ConfigError(
        `bullmq(): url must be a redis:// or rediss:// URL or a Unix socket path, got ${describeValue(url)}`,
      );
    }
    return { url: url.trim() };
  }
  if (isIoredisClient(connection)) {
    if ((connection as { isCluster?: unknown }).isCluster === true) {
      throw new ConfigError(
        "bullmq(): connection is a Redis Cluster client; this adapter takes one Redis (an ioredis client or options)",
      );
    }
    checkNoKeyPrefix(connection.options);
    return { client: connection };
  }
  // ioredis options are a plain object; any other object (a node-redis client, a class instance of
  // an unknown kind) must not be read as options, which would connect to the default address.
  const proto =
    typeof connection === "object" && connection !== null ? Object.getPrototypeOf(connection) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new ConfigError(
      `bullmq(): connection must be an ioredis client (ioredis 5 or 6) or a plain object of ioredis options, got ${describeValue(connection)}`,
    );
  }
  checkNoKeyPrefix(connection as RedisOptions);
  return { options: connection as RedisOptions };
}

function checkNoKeyPrefix(options: object): void {
  const keyPrefix = (options as { keyPrefix?: unknown }).keyPrefix;
  if (typeof keyPrefix === "string" && keyPrefix !== "") {
    throw new ConfigError(
      "bullmq(): the connection has an ioredis keyPrefix, which BullMQ does not support; use the prefix option",
    );
  }
}

/** A duration that feeds a Node timer (here or in ioredis/BullMQ): 1 ms to 2^31-1 ms. */
function timerDuration(value: Duration, name: string): number {
  const ms = atLeastOneMs(value, name);
  if (ms > MAX_TIMER_MS) {
    throw new ConfigError(
      `bullmq(): ${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${ms} ms`,
    );
  }
  return ms;
}

function atLeastOneMs(value: Duration, name: string): number {
  const ms = toMilliseconds(value, `bullmq(): ${name}`);
  if (ms < 1) throw new ConfigError(`bullmq(): ${name} must be at least 1 ms`);
  return ms;
}

/** BullMQ's KeepJobs: true/false, a count, or `{ count }` / `{ age, count?, limit? }`. */
function checkKeep(value: unknown, name: string): boolean | number | KeepJobs {
  if (typeof value === "boolean") return value;
  if (isCount(value)) return value;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keep = value as Record<string, unknown>;
    const known = ["age", "count", "limit"];
    const fields = Object.keys(keep);
    const valid =
      fields.length > 0 &&
      fields.every((field) => known.includes(field) && (keep[field] === undefined || isCount(keep[field]))) &&
      (keep.age !== undefined || keep.count !== undefined);
    if (valid) return value as KeepJobs;
  }
  throw new ConfigError(
    `bullmq(): ${name} must be true, false, a count, or { age?, count?, limit? } (seconds and counts), got ${describeValue(value)}`,
  );
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
