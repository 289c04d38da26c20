import { ConfigError } from "@switchyard/core";
import { migrateFromEnv } from "@switchyard/core/adapter";
import { type PostgresBackend, postgres } from "./postgres-backend.js";

/**
 * The backend `SWITCHYARD_BACKEND=postgres` selects: `DATABASE_URL` (required) and, optionally,
 * `SWITCHYARD_POSTGRES_SCHEMA` (default `graphile_worker`) and `SWITCHYARD_MIGRATE` (`false`: the schema
 * is installed at deploy, never on first use; default true).
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): PostgresBackend {
  const connectionString = env.DATABASE_URL?.trim();
  if (!connectionString) {
    throw new ConfigError(
      "SWITCHYARD_BACKEND=postgres needs DATABASE_URL, e.g. postgres://user:password@127.0.0.1:5432/app",
    );
  }
  const schema = env.SWITCHYARD_POSTGRES_SCHEMA?.trim() || undefined;
  const migrate = migrateFromEnv(env);
  return postgres({ connectionString, schema, ...(migrate === undefined ? {} : { migrate }) });
}
