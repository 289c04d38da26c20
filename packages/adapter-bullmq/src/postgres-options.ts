import { ConfigError } from "@switchyard/core";
import { checkOptions, describeValue } from "@switchyard/core/adapter";
import {
  type BullmqBackendOptions,
  type ResolvedBullmqOptions,
  resolveBullmqOptions,
} from "./bullmq-options.js";

// The `postgres` option of bullmq(): BullMQ 6's PostgreSQL backend instead of Redis. Checked here,
// with the options shared with Redis checked by bullmq-options.ts.

/** The PostgreSQL BullMQ stores its jobs in, for `bullmq({ postgres })`. */
export interface BullmqPostgresOptions {
  /** A `postgres://` or `postgresql://` URL. Required. */
  connectionString: string;
  /**
   * The schema BullMQ's tables and functions live in (BullMQ's `schema`; PostgreSQL's namespace takes
   * the place of Redis's key prefix). Default `"bullmq"` (BullMQ's default).
   */
  schema?: string | undefined;
  /**
   * Whether the adapter creates or upgrades BullMQ's schema on first use (BullMQ's `migrate: true`;
   * its migrations run in one transaction under an advisory lock). Set false when your deployment
   * runs BullMQ's `runMigrations()` itself. Default `true`.
   */
  migrate?: boolean | undefined;
  /**
   * Most connections in each pool: the client's pool (enqueue, get, schedules...) and each worker's
   * (its jobs' claims and finishes). Each BullMQ worker also holds one LISTEN connection, and each
   * `jobs.work()` one more for cancel notices. Default `10`.
   */
  maxConnections?: number | undefined;
}

/** `bullmq({ postgres })` options, checked, with defaults applied. */
export interface ResolvedPostgresBullmqOptions extends Omit<ResolvedBullmqOptions, "source" | "prefix"> {
  connectionString: string;
  schema: string;
  migrate: boolean;
  maxConnections: number;
}

const KNOWN_POSTGRES_OPTIONS = ["connectionString", "schema", "migrate", "maxConnections"];
/** The options that only mean something on Redis. */
const REDIS_ONLY = ["connection", "url", "prefix"] as const;
/** BullMQ quotes the schema; this keeps it to a plain identifier. */
const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** True when `bullmq(options)` asks for PostgreSQL. */
export function wantsPostgres(options: BullmqBackendOptions | undefined): boolean {
  return typeof options === "object" && options !== null && options.postgres !== undefined;
}

/** Checks every option of `bullmq({ postgres, ... })`; a ConfigError names the option at fault. */
export function resolvePostgresBullmqOptions(input: BullmqBackendOptions): ResolvedPostgresBullmqOptions {
  const { postgres, ...shared } = input;
  for (const name of REDIS_ONLY) {
    if (shared[name] !== undefined) {
      throw new ConfigError(
        `bullmq(): ${name} must be left out when postgres is given (it is a Redis option), got both`,
      );
    }
  }
  const { source: _redis, prefix: _prefix, ...resolved } = resolveBullmqOptions(shared);
  const pg = checkOptions(postgres, "bullmq(): postgres", KNOWN_POSTGRES_OPTIONS);
  const url = pg.connectionString;
  if (typeof url !== "string" || !/^postgres(ql)?:\/\//.test(url.trim())) {
    throw new ConfigError(
      `bullmq(): postgres.connectionString must be a postgres:// or postgresql:// URL, got ${describeValue(url)}`,
    );
  }
  const schema = pg.schema ?? "bullmq";
  if (typeof schema !== "string" || !SCHEMA_PATTERN.test(schema)) {
    throw new ConfigError(
      `bullmq(): postgres.schema must be a letter or "_" then up to 62 letters, digits or "_", got ${describeValue(schema)}`,
    );
  }
  const migrate = pg.migrate ?? true;
  if (typeof migrate !== "boolean") {
    throw new ConfigError(`bullmq(): postgres.migrate must be true or false, got ${describeValue(migrate)}`);
  }
  const maxConnections = pg.maxConnections ?? 10;
  if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 1000) {
    throw new ConfigError(
      `bullmq(): postgres.maxConnections must be an integer from 1 to 1000, got ${describeValue(maxConnections)}`,
    );
  }
  return { ...resolved, connectionString: url.trim(), schema, migrate, maxConnections };
}
