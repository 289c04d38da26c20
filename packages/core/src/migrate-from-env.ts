import { ConfigError } from "./errors/config-error.js";

/**
 * `SWITCHYARD_MIGRATE`, for adapters whose backend installs its schema on first use (postgres,
 * bullmq-postgres): `false` (or `0`) turns that off (the schema is installed at deploy; the CLI reads
 * with it off, so that a mistyped schema name is an error, not a new empty schema), `true` (or `1`)
 * turns it on; unset or empty leaves the adapter's default (on). Anything else is a ConfigError.
 */
export function migrateFromEnv(env: Record<string, string | undefined>): boolean | undefined {
  const value = env.SWITCHYARD_MIGRATE?.trim().toLowerCase();
  if (value === undefined || value === "") return undefined;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ConfigError(`SWITCHYARD_MIGRATE must be true or false, got "${env.SWITCHYARD_MIGRATE}"`);
}
