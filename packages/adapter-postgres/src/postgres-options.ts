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
   * Extra graphile-worker settings for the worker pools (for example `{ worker: { localQueue: { size: 25 } } }`).
   * Batched completion (`completeJobBatchDelay`, `failJobBatchDelay`) is refused: graphile-worker 0.17.3
   * gives a batch up on its first lost connection and shuts the pool down, so a database restart would
   * stall the worker and run its jobs twice. Default: none (graphile-worker's defaults).
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
 * option, not a driver error later) and resolves their defaults.
 */
export function resolvePostgresOptions(options: PostgresOptions): ResolvedPostgresOptions {
  const checked = checkOptions(options, "postgres()", OPTION_KEYS);
  const { connectionString, pool } = checked;
  if ((connectionString === undefined) === (pool === undefined)) {
    throw new ConfigError("postgres(): give exactly one of connectionString or pool");
  }
  if (connectionString !== undefined) checkConnectionString(connectionString);
  if (pool !== undefined && typeof (pool as { connect?: unknown })?.connect !== "function") {
    throw new ConfigError(`postgres(): pool must be a pg Pool, got ${describeValue(pool)}`);
  }
  const schema = checked.schema ?? "graphile_worker";
  if (typeof schema !== "string" || !SCHEMA_NAME.test(schema)) {
    throw new ConfigError(
      `postgres(): schema must be a plain identifier of at most 63 characters, got ${describeValue(schema)}`,
    );
  }
  const resolved: ResolvedPostgresOptions = {
    schema,
    maxPoolSize: integerIn(checked.maxPoolSize ?? 10, "maxPoolSize", 1, 10_000),
    pollIntervalMs: toMilliseconds(checked.pollInterval ?? 2_000, "postgres(): pollInterval"),
    stalledAfterMs: toMilliseconds(checked.stalledAfter ?? "1m", "postgres(): stalledAfter"),
    idempotencyTtlMs:
      checked.idempotencyTtl === undefined
        ? DEFAULT_IDEMPOTENCY_TTL_MS
        : toMilliseconds(checked.idempotencyTtl, "postgres(): idempotencyTtl"),
    keepFinishedMs: toMilliseconds(checked.keepFinished ?? "7d", "postgres(): keepFinished"),
    connectionTimeoutMillis: integerIn(
      checked.connectionTimeoutMillis ?? 10_000,
      "connectionTimeoutMillis",
      0,
      MAX_TIMER_MS,
    ),
    migrate: checked.migrate ?? true,
  };
  // graphile-worker polls with setTimeout, which fires at once past 2^31-1 ms; 0 would poll without pause.
  if (resolved.pollIntervalMs < MIN_POLL_INTERVAL_MS || resolved.pollIntervalMs > MAX_TIMER_MS) {
    throw new ConfigError(
      `postgres(): pollInterval must be from ${MIN_POLL_INTERVAL_MS} ms to ${MAX_TIMER_MS} ms (about 24 days), got ${resolved.pollIntervalMs} ms`,
    );
  }
  if (resolved.stalledAfterMs < MIN_STALLED_AFTER_MS) {
    throw new ConfigError(
      `postgres(): stalledAfter must be at least ${MIN_STALLED_AFTER_MS} ms, got ${resolved.stalledAfterMs} ms`,
    );
  }
  if (typeof resolved.migrate !== "boolean") {
    throw new ConfigError(
      `postgres(): migrate must be true or false, got ${describeValue(resolved.migrate)}`,
    );
  }
  const preset = checked.graphilePreset;
  if (preset !== undefined) checkGraphilePreset(preset);
  if (connectionString !== undefined) resolved.connectionString = connectionString;
  if (pool !== undefined) resolved.pool = pool;
  if (preset !== undefined) resolved.graphilePreset = preset;
  return resolved;
}

/**
 * A connection string `pg` can read: a `postgres://` or `postgresql://` URL, a `socket:` URL, or a socket
 * directory. `pg` itself reads anything else as a host name (a typo becomes "getaddrinfo ENOTFOUND base").
 * The string is not echoed: it may hold a password.
 */
function checkConnectionString(value: unknown): void {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(
      `postgres(): connectionString must be a non-empty string such as postgres://user:password@host:5432/database, got ${typeof value === "string" ? "an empty string" : describeValue(value)}`,
    );
  }
  if (value.startsWith("/")) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      "postgres(): connectionString is not a valid URL; expected postgres://user:password@host:5432/database (percent-encode special characters of the password)",
    );
  }
  if (!["postgres:", "postgresql:", "socket:"].includes(url.protocol)) {
    throw new ConfigError(
      `postgres(): connectionString must start with postgres:// or postgresql://, got the scheme ${JSON.stringify(url.protocol)}`,
    );
  }
}

/** An object, without graphile-worker's batched completion (see `graphilePreset`), in it or in what it extends. */
function checkGraphilePreset(preset: unknown, seen = new Set<unknown>()): void {
  if (typeof preset !== "object" || preset === null || Array.isArray(preset)) {
    throw new ConfigError(`postgres(): graphilePreset must be an object, got ${describeValue(preset)}`);
  }
  if (seen.has(preset)) return;
  seen.add(preset);
  const { worker, extends: parents } = preset as GraphileConfig.Preset;
  for (const option of ["completeJobBatchDelay", "failJobBatchDelay"] as const) {
    const delay = worker?.[option];
    if (delay !== undefined && delay !== null && delay >= 0) {
      throw new ConfigError(
        `postgres(): graphilePreset.worker.${option} is not supported: graphile-worker 0.17.3 gives a batch up on its first lost connection and shuts the worker pool down, so a database restart would stall the worker and run jobs twice`,
      );
    }
  }
  for (const parent of parents ?? []) checkGraphilePreset(parent, seen);
}

function integerIn(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `postgres(): ${option} must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}
