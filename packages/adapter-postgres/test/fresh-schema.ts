import { randomBytes } from "node:crypto";
import { createSwitchyard, type Switchyard, silentLogger, type Worker } from "@switchyard/core";
import pg from "pg";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type PostgresOptions, postgres } from "../src/index.js";
import { HARNESS_OPTIONS } from "./postgres-harness.js";
import { createTestDatabase } from "./test-database.js";

type Jobs = Parameters<typeof createSwitchyard>[0]["jobs"];

/**
 * For a test file: a database of its own, and clients on fresh schemas of it (installed before any
 * worker starts), closed after each test. `client(jobs, { schema })` opens another client on a schema
 * already in use, as another process of the same app would.
 */
export function useFreshSchemas() {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: pg.Client;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    database = await createTestDatabase("unit");
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });
  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  return {
    /** A direct connection to the test database, for looking at the tables. */
    get db(): pg.Client {
      return db;
    },
    get url(): string {
      return database.url;
    },
    async client(
      jobs: Jobs,
      options: Partial<PostgresOptions> & { schema?: string } = {},
    ): Promise<{ client: Switchyard; schema: string }> {
      const schema = options.schema ?? `t_${randomBytes(5).toString("hex")}`;
      const backend = postgres({ connectionString: database.url, ...HARNESS_OPTIONS, ...options, schema });
      await backend.migrate();
      const client = createSwitchyard({ backend, jobs, logger: silentLogger });
      cleanups.push(() => client.close());
      return { client, schema };
    },
    async start(client: Switchyard, concurrency = 4): Promise<Worker> {
      const worker = client.work({ concurrency });
      cleanups.push(() => worker.stop({ graceful: false }));
      await worker.ready;
      return worker;
    },
  };
}
