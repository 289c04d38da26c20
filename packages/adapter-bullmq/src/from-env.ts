import type { Backend } from "@switchyard/core";
import { migrateFromEnv } from "@switchyard/core/adapter";
import { bullmq } from "./bullmq-backend.js";
import { DEFAULT_REDIS_URL } from "./bullmq-options.js";

/** The default of `DATABASE_URL` for `SWITCHYARD_BACKEND=bullmq-postgres`: the local server, database `postgres`. */
export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * The backend `SWITCHYARD_BACKEND=bullmq` selects: Redis from `REDIS_URL` (default
 * `redis://127.0.0.1:6379`), keys under `SWITCHYARD_BULLMQ_PREFIX` (default `switchyard`).
 * `SWITCHYARD_BACKEND=bullmq-postgres` selects BullMQ on PostgreSQL: `DATABASE_URL` (default
 * `postgres://postgres@127.0.0.1:5432/postgres`), tables in the schema `SWITCHYARD_BULLMQ_SCHEMA`
 * (default `bullmq`); `SWITCHYARD_MIGRATE=false` leaves BullMQ's schema as it is (installed at deploy).
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): Backend {
  if (env.SWITCHYARD_BACKEND?.trim().toLowerCase() === "bullmq-postgres") {
    const schema = env.SWITCHYARD_BULLMQ_SCHEMA?.trim();
    const migrate = migrateFromEnv(env);
    return bullmq({
      postgres: {
        connectionString: env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL,
        ...(schema ? { schema } : {}),
        ...(migrate === undefined ? {} : { migrate }),
      },
    });
  }
  const prefix = env.SWITCHYARD_BULLMQ_PREFIX?.trim();
  return bullmq({ url: env.REDIS_URL?.trim() || DEFAULT_REDIS_URL, ...(prefix ? { prefix } : {}) });
}
