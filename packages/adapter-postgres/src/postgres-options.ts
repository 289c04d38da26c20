import { ConfigError, type Duration } from "@switchyard/core";
import { checkOptions, describeValue, MAX_TIMER_MS, toMilliseconds } from "@switchyard/core/adapter";
import type { Pool } from "pg";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "./postgres-capabilities.js";

/** What `postgres()` takes. Give `connectionString` or `pool`. Every option accepts `undefined` (= its default). */
export interface PostgresOptions {
  /**
   * A PostgreSQL connection string, `postgres://user:password@host:5432/database` (or a socket directory
   * such as `/var/run/postgresql`). Exclusive with `pool`. A malformed one is a ConfigError. Default: none.
   */
  connectionString?: string | undefined;
  /**
   * An existing `pg` pool to use instead of `connectionString`. `close()` leaves it open: its owner ends it,
   * and gives it an `error` listener (without one, a connection dropped while idle ends the process, as
   * `pg` documents). Default: a pool made from `connectionString`.
   */
  pool?: Pool | undefined;
  /**
   * The schema of graphile-worker's tables; the adapter's own tables (`switchyard_*`) live in it too. It is
   * installed or migrated on first use. Default `"graphile_worker"`.
   */
  schema?: string | undefined;
  /**
   * Connections of the pool made from `connectionString`. A worker uses up to `concurrency + 1` at once:
   * give it at least that. Default 10 (graphile-worker's default).
   */
  maxPoolSize?: number | undefined;
  /**
   * How often an idle worker looks for jobs that became due without telling it (graphile-worker's
   * `pollInterval`). Jobs enqueued, delayed or retried through this adapter wake workers by notification,
   * so this only bounds the lateness of the rest. From 10 ms to 24 days. Default `2000` (ms).
   */
  pollInterval?: Duration | undefined;
  /**
   * How long after a worker pool stops heartbeating (its process died) the jobs it had locked run again.
   * Each worker heartbeats every quarter of this; keep it longer than the longest event-loop stall of your
   * handlers. Without it graphile-worker frees such jobs after 4 hours. At least 200 ms. Default `"1m"`.
   */
  stalledAfter?: Duration | undefined;
  /** How long an idempotency key is kept when neither the job nor the enqueue gives a ttl. Default `"24h"`. */
  idempotencyTtl?: Duration | undefined;
  /** How long the record of a completed or cancelled job (state, result) is kept for `get(id)`. Default `"7d"`. */
  keepFinished?: Duration | undefined;
  /**
   * Milliseconds to wait for a new connection before failing with BackendUnavailableError (0 waits as long
   * as the operating system does). At most 2^31-1. Default 10000.
   */
  connectionTimeoutMillis?: number | undefined;
  /**
   * graphile-worker settings for the worker pools, over the adapter's own defaults: a local queue of
   * max(500, concurrency) jobs and batched completion (`completeJobBatchDelay: 0`, `failJobBatchDelay: 0`);
   * README "Throughput settings" says what they trade. `{ worker: { localQueue: { size: -1 },
   * completeJobBatchDelay: -1, failJobBatchDelay: -1 } }` gives graphile-worker's own defaults back.
   * Default: none (the adapter's defaults).
   */
  graphilePreset?: GraphileConfig.Preset | undefined;
  /** Install or migrate graphile-worker's schema and the adapter's tables on first use. Default true. */
  migrate?: boolean | undefined;
}

/** The options checked, in milliseconds, with their defaults. */
export interface ResolvedPostgresOptions {
  connectionString?: string;
  pool?: Pool;
  schema: string;
  maxPoolSize: number;
  pollIntervalMs: number;
  stalledAfterMs: number;
  idempotencyTtlMs: number;
  keepFinishedMs: number;
  connectionTimeoutMillis: number;
  graphilePreset?: GraphileConfig.Preset;
  migrate: boolean;
}

const OPTION_KEYS: ReadonlyArray<keyof PostgresOptions> = [
  "connectionString",
  "pool",
  "schema",
  "maxPoolSize",
  "pollInterval",
  "stalledAfter",
  "idempotencyTtl",
  "keepFinished",
  "connectionTimeoutMillis",
  "graphilePreset",
  "migrate",
];

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const MIN_POLL_INTERVAL_MS = 10;
const MIN_STALLED_AFTER_MS = 200;

/**
 * Checks `postgres()`'s options (plain JavaScript callers and config files get a ConfigError naming the
 * option, not a driver error later) and resolves their defaults. The one place options are checked; every
 * refusal reads `postgres(): <option> must be <what it must be>, got <value>`.
 */
export function resolvePostgresOptions(options: PostgresOptions): ResolvedPostgresOptions {
  const checked = checkOptions(options, "postgres()", OPTION_KEYS);
  const { connectionString, pool } = checked;
  if ((connectionString === undefined) === (pool === undefined)) {
    throw new ConfigError("postgres(): exactly one of connectionString or pool must be given");
  }
  if (connectionString !== undefined) checkConnectionString(connectionString);
  if (pool !== undefined && typeof (pool as { connect?: unknown })?.connect !== "function") {
    refuse("pool", "a pg Pool", pool);
  }
  const schema = checked.schema ?? "graphile_worker";
  if (typeof schema !== "string" || !SCHEMA_NAME.test(schema)) {
    refuse("schema", "a plain identifier of at most 63 characters", schema);
  }
  const resolved: ResolvedPostgresOptions = {
    schema,
    maxPoolSize: integerIn("maxPoolSize", checked.maxPoolSize ?? 10, 1, 10_000),
    // graphile-worker polls with setTimeout, which fires at once past 2^31-1 ms; 0 would poll without pause.
    pollIntervalMs: durationIn(
      "pollInterval",
      checked.pollInterval ?? 2_000,
      MIN_POLL_INTERVAL_MS,
      MAX_TIMER_MS,
    ),
    stalledAfterMs: durationIn("stalledAfter", checked.stalledAfter ?? "1m", MIN_STALLED_AFTER_MS),
    idempotencyTtlMs:
      checked.idempotencyTtl === undefined
        ? DEFAULT_IDEMPOTENCY_TTL_MS
        : durationIn("idempotencyTtl", checked.idempotencyTtl, 0),
    keepFinishedMs: durationIn("keepFinished", checked.keepFinished ?? "7d", 0),
    connectionTimeoutMillis: integerIn(
      "connectionTimeoutMillis",
      checked.connectionTimeoutMillis ?? 10_000,
      0,
      MAX_TIMER_MS,
    ),
    migrate: checked.migrate ?? true,
  };
  if (typeof resolved.migrate !== "boolean") refuse("migrate", "true or false", resolved.migrate);
  const preset = checked.graphilePreset;
  if (preset !== undefined) checkGraphilePreset(preset);
  if (connectionString !== undefined) resolved.connectionString = connectionString;
  if (pool !== undefined) resolved.pool = pool;
  if (preset !== undefined) resolved.graphilePreset = preset;
  return resolved;
}

/** Refuses option `option`: it must be `expectation` (the value is not echoed when none is given). */
function refuse(option: string, expectation: string, ...value: [unknown?]): never {
  const got = value.length > 0 ? `, got ${describeValue(value[0])}` : "";
  throw new ConfigError(`postgres(): ${option} must be ${expectation}${got}`);
}

function integerIn(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    refuse(option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** A duration (core's format, at most 10 years) in milliseconds, from `min` to `max`. */
function durationIn(option: string, value: Duration, min: number, max = Number.POSITIVE_INFINITY): number {
  const ms = toMilliseconds(value, `postgres(): ${option}`);
  if (ms < min || ms > max) {
    const range = max === Number.POSITIVE_INFINITY ? `at least ${min} ms` : `from ${min} ms to ${max} ms`;
    refuse(option, range, `${ms} ms`);
  }
  return ms;
}

/**
 * A connection string `pg` can read: a `postgres://` or `postgresql://` URL, a `socket:` URL, or a socket
 * directory. `pg` itself reads anything else as a host name (a typo becomes "getaddrinfo ENOTFOUND base").
 * The string is not echoed: it may hold a password.
 */
function checkConnectionString(value: unknown): void {
  const example = "such as postgres://user:password@host:5432/database";
  if (typeof value !== "string" || value.trim() === "") {
    refuse("connectionString", `a non-empty string ${example}`, value);
  }
  if (value.startsWith("/")) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    refuse("connectionString", `a valid URL ${example} (percent-encode special characters of the password)`);
  }
  if (!["postgres:", "postgresql:", "socket:"].includes(url.protocol)) {
    refuse(
      "connectionString",
      `a postgres:// or postgresql:// URL, not one of scheme ${JSON.stringify(url.protocol)}`,
    );
  }
}

/** An object (graphile-worker resolves the rest: its `extends`, its scopes). */
function checkGraphilePreset(preset: unknown): void {
  if (typeof preset !== "object" || preset === null || Array.isArray(preset)) {
    refuse("graphilePreset", "an object", preset);
  }
}
