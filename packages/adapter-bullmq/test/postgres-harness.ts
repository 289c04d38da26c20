import { randomBytes } from "node:crypto";
import type { Backend } from "@switchyard/core";
import type { ConformanceHarness } from "@switchyard/testkit";
import pg from "pg";
import { type BullmqPostgresWorker, bullmq } from "../src/index.js";
import { TEST_LOCK_DURATION, TEST_STALLED_INTERVAL } from "./bullmq-harness.js";

/** `DATABASE_URL`, or the machine's local server (trust auth, database `test`). */
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const START_HINT =
  "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set DATABASE_URL";

/**
 * A database of its own on the server of DATABASE_URL, dropped by `drop()`: BullMQ's NOTIFY channels
 * (`bullmq_jobs`, `bullmq_events`) are shared by a whole database, so runs at once stay apart.
 */
export async function createBullmqTestDatabase(
  label: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sy_bmq_${label}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
    await admin.query(`create database "${name}"`);
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${DATABASE_URL} (${(error as Error).message}); ${START_HINT}`,
    );
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Runs the conformance kit against BullMQ's PostgreSQL backend on the server of DATABASE_URL: a
 * database per run (dropped in `dispose`), a schema per backend in it (BullMQ's migrations run on
 * first use). Workers are the public client's; their `crash()` closes BullMQ without finishing their
 * jobs, so locks expire and another worker's stalled check runs them again. `reconnect` opens a second
 * backend on the same schema, as another process of the app would.
 */
export async function bullmqPostgresHarness(): Promise<ConformanceHarness> {
  const database = await createBullmqTestDatabase("kit");
  const schemas = new WeakMap<Backend, string>();
  function open(schema: string): Backend {
    const backend = bullmq({
      postgres: { connectionString: database.url, schema, maxConnections: 4 },
      lockDuration: TEST_LOCK_DURATION,
      stalledInterval: TEST_STALLED_INTERVAL,
    });
    schemas.set(backend, schema);
    return backend;
  }
  return {
    name: "bullmq-postgres",
    createBackend() {
      return open(`sy_${randomBytes(4).toString("hex")}`);
    },
    reconnect(backend) {
      const schema = schemas.get(backend);
      if (schema === undefined) throw new Error("reconnect(): not a backend of this harness");
      return open(schema);
    },
    async start(client, { concurrency }) {
      const worker = client.work({ concurrency }) as BullmqPostgresWorker;
      await worker.ready;
      return { stop: (options) => worker.stop(options), crash: () => worker.crash() };
    },
    async dispose() {
      await database.drop();
    },
  };
}
