import { ConfigError, type Duration } from "@switchyard/core";
import { checkOptions, describeValue, MAX_TIMER_MS, toMilliseconds } from "@switchyard/core/adapter";
import type { KeepJobs } from "bullmq";
import type { RedisOptions } from "ioredis";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "./bullmq-capabilities.js";
import type { BullmqPostgresOptions } from "./postgres-options.js";
import { type IoredisClient, isIoredisClient } from "./redis-client.js";

// The options of bullmq(): their type (each default in its JSDoc), and their validation, done once
// when bullmq() is called. Every message reads `bullmq(): <option> must ..., got <value>`.

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** What `bullmq(options)` takes. Every field is optional; each default is written below. */
export interface BullmqBackendOptions {
  /**
   * Your own ioredis client (ioredis 5 or 6, any copy: it is recognised by its shape), or ioredis
   * options. A client you pass stays yours: the adapter uses it to enqueue, duplicates it for its
   * workers and subscribers, and does not close it. Exclusive with `url`. Anything else (a Redis
   * Cluster, a node-redis client, a class instance that is not an ioredis client) is a ConfigError:
   * the adapter never falls back to a default address when a connection was given.
   * Default: a client the adapter creates from `url` on first use and closes in `close()`.
   */
  connection?: IoredisClient | RedisOptions | undefined;
  /**
   * Run BullMQ on PostgreSQL instead of Redis (BullMQ 6's PostgreSQL backend): `{ connectionString,
   * schema?, migrate?, maxConnections? }`. Exclusive with `connection`, `url` and `prefix` (a
   * ConfigError if both are given). Some features differ: see `bullmqPostgresCapabilities`.
   * Default: Redis.
   */
  postgres?: BullmqPostgresOptions | undefined;
  /**
   * The Redis to use when `connection` is not given: `redis://`, `rediss://` (TLS) or a Unix socket
   * path. `undefined` means the default, so `url: process.env.REDIS_URL` works.
   * Default `"redis://127.0.0.1:6379"`.
   */
  url?: string | undefined;
  /**
   * Prefix of every Redis key the adapter writes (BullMQ's `prefix`). Each job is a BullMQ queue named
   * after it: `<prefix>:<job name>:...`. Default `"switchyard"`.
   */
  prefix?: string | undefined;
  /**
   * How long a call from the client (enqueue, get, cancel, retry, listFailed, schedules) waits for
   * Redis, connecting included, before it fails with BackendUnavailableError. At most 2^31-1 ms
   * (about 24.8 days). Default `"5s"`.
   */
  commandTimeout?: Duration | undefined;
  /**
   * How long `worker.ready` waits for Redis before it rejects with BackendUnavailableError (and core
   * stops the worker). Default: no limit. A worker started while Redis is down waits out the outage,
   * logging the connection error (at most every 30 s per message), and starts when Redis answers;
   * set this to fail fast instead, for example when a supervisor restarts failed processes.
   */
  readyTimeout?: Duration | undefined;
  /** How long an idempotency key is kept when neither the job nor the enqueue gives a ttl. Default `"24h"`. */
  defaultIdempotencyTtl?: Duration | undefined;
  /**
   * BullMQ's lock on a running job, renewed by the worker at half this period. A worker that dies
   * keeps its jobs locked until the lock expires; then the stalled check runs them again.
   * At most 2^31-1 ms. Default `"30s"` (BullMQ's default).
   */
  lockDuration?: Duration | undefined;
  /**
   * How often workers look for stalled jobs (BullMQ's `stalledInterval`). At most 2^31-1 ms.
   * Default `"30s"` (BullMQ's default).
   */
  stalledInterval?: Duration | undefined;
  /**
   * Which completed jobs BullMQ keeps (its `removeOnComplete`): `get(id)` and results need the job to be
   * kept. Default: all are kept (BullMQ's default); in production set an age or count.
   */
  removeOnComplete?: boolean | number | KeepJobs | undefined;
  /** Which failed jobs BullMQ keeps (its `removeOnFail`); `listFailed()` sees the kept ones. Default: all are kept. */
  removeOnFail?: boolean | number | KeepJobs | undefined;
  /** How long `get(id)` still reports a job cancelled before it ran (its record is removed). Default `"7d"`. */
  cancelledRetention?: Duration | undefined;
}

const KNOWN_OPTIONS: ReadonlyArray<keyof BullmqBackendOptions> = [
  "connection",
  "postgres",
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
    throw optionError("prefix", '1-64 letters, digits, ".", ":", "-" or "_"', describeValue(prefix));
  }
  const resolved: ResolvedBullmqOptions = {
    source: resolveSource(options.connection, options.url),
    prefix,
    commandTimeoutMs: timerDuration(options.commandTimeout ?? "5s", "commandTimeout"),
    defaultIdempotencyTtlMs:
      options.defaultIdempotencyTtl === undefined
        ? DEFAULT_IDEMPOTENCY_TTL_MS
        : duration(options.defaultIdempotencyTtl, "defaultIdempotencyTtl"),
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

/** The one shape of every option error: `bullmq(): <option> must be <expected>, got <what was given>`. */
function optionError(name: string, expected: string, got: string): ConfigError {
  return new ConfigError(`bullmq(): ${name} must be ${expected}, got ${got}`);
}

function resolveSource(connection: unknown, url: unknown): RedisSource {
  if (connection !== undefined && url !== undefined) {
    throw optionError("url", "left out when connection is given (use one of them)", "both");
  }
  if (connection === undefined) {
    if (url === undefined) return { url: DEFAULT_REDIS_URL };
    if (typeof url !== "string" || !/^(rediss?:\/\/|\/)/.test(url.trim())) {
      throw optionError("url", "a redis:// or rediss:// URL or a Unix socket path", describeValue(url));
    }
    return { url: url.trim() };
  }
  if (isIoredisClient(connection)) {
    if ((connection as { isCluster?: unknown }).isCluster === true) {
      throw optionError("connection", "one Redis (an ioredis client or options)", "a Redis Cluster client");
    }
    checkNoKeyPrefix(connection.options);
    return { client: connection };
  }
  // ioredis options are a plain object; any other object (a node-redis client, a class instance of
  // an unknown kind) must not be read as options, which would connect to the default address.
  const proto =
    typeof connection === "object" && connection !== null ? Object.getPrototypeOf(connection) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw optionError(
      "connection",
      "an ioredis client (ioredis 5 or 6) or a plain object of ioredis options",
      describeValue(connection),
    );
  }
  checkNoKeyPrefix(connection as RedisOptions);
  return { options: connection as RedisOptions };
}

function checkNoKeyPrefix(options: object): void {
  const keyPrefix = (options as { keyPrefix?: unknown }).keyPrefix;
  if (typeof keyPrefix === "string" && keyPrefix !== "") {
    throw optionError(
      "connection",
      "without an ioredis keyPrefix, which BullMQ does not support (use the prefix option)",
      `keyPrefix ${describeValue(keyPrefix)}`,
    );
  }
}

/** A duration (core's rules: a number of ms or "30s", at most 10 years), with the option's name. */
function duration(value: Duration, name: string): number {
  return toMilliseconds(value, `bullmq(): ${name}`);
}

/** A duration that feeds a Node timer (here or in ioredis/BullMQ): 1 ms to 2^31-1 ms. */
function timerDuration(value: Duration, name: string): number {
  const ms = atLeastOneMs(value, name);
  if (ms > MAX_TIMER_MS) {
    throw optionError(name, `at most ${MAX_TIMER_MS} ms (about 24.8 days)`, `${ms} ms`);
  }
  return ms;
}

function atLeastOneMs(value: Duration, name: string): number {
  const ms = duration(value, name);
  if (ms < 1) throw optionError(name, "at least 1 ms", `${ms} ms`);
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
  throw optionError(
    name,
    "true, false, a count, or { age?, count?, limit? } (seconds and counts)",
    describeValue(value),
  );
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
