import { randomBytes } from "node:crypto";
import type { ConformanceHarness } from "@switchyard/testkit";
import pg from "pg";
import {
  type PostgresBackend,
  type PostgresOptions,
  type PostgresWorkerHandle,
  postgres,
} from "../src/index.js";
import { assertReachable, databaseUrl } from "./database-url.js";
import { createTestDatabase } from "./test-database.js";

/**
 * Settings of the conformance runs: polling and stalled-job recovery shortened so that timing scenarios
 * and the in-process crash finish in seconds (production defaults: 2 s and 1 min).
 */
export const HARNESS_OPTIONS = {
  pollInterval: 250,
  stalledAfter: "1s",
  maxPoolSize: 20,
} satisfies Partial<PostgresOptions>;

/** Schemas installed ahead: more than the backends the concurrent scenarios (schedules) create together. */
const SPARE_SCHEMAS = 12;

/**
 * The PostgreSQL harness, on the server of `DATABASE_URL` (default: the local server, database `test`).
 * Each run works in a database of its own (`sy_kit_<random>`, created from `DATABASE_URL` and dropped in
 * `dispose`; when the role may not create databases, in `DATABASE_URL`'s database itself), and every
 * backend in a schema of its own (`sy_<random>`).
 *
 * Why not only schemas: graphile-worker announces each migration on the channel `worker:migrate`, which
 * is shared by the whole database, and every listening worker pool shuts down on a breaking one, whatever
 * its schema. Two runs of the kit at once on one database (a developer and CI) would stop each other's
 * workers; NOTIFY does not cross databases. Within the run, schemas are installed ahead, while no worker
 * runs: a spare stock at the start, topped up only between runtimes, and a runtime never starts while a
 * schema is being installed.
 *
 * Workers start through the public client (`client.work()`, which syncs the declared schedules);
 * `crash()`, the backend worker's own, stays reachable through it. It abandons the worker's running jobs
 * in-process (their locks stay until stalled-job recovery frees them, after `stalledAfter`); the SIGKILL
 * of real worker processes is test/crash.test.ts and test/kill-under-load.test.ts. `reconnect(backend)`
 * opens another backend on the same schema, as another process of the app (or the next deploy) would.
 */
export async function postgresHarness(serverUrl: string = databaseUrl()): Promise<ConformanceHarness> {
  await assertReachable(serverUrl);
  const database = await createTestDatabase("kit", serverUrl).catch(() => undefined);
  const url = database?.url ?? serverUrl;
  const schemas: string[] = [];
  const spares: string[] = [];
  let activeRuntimes = 0;
  let installing: Promise<void> = Promise.resolve();

  async function install(): Promise<string> {
    const schema = `sy_${randomBytes(6).toString("hex")}`;
    schemas.push(schema);
    const backend = postgres({ connectionString: url, schema });
    try {
      await backend.migrate();
    } finally {
      await backend.close();
    }
    return schema;
  }

  function topUp(): Promise<void> {
    installing = installing.then(async () => {
      while (spares.length < SPARE_SCHEMAS && activeRuntimes === 0) spares.push(await install());
    });
    return installing;
  }

  await topUp();
  return {
    name: "postgres",
    async createBackend() {
      if (activeRuntimes === 0) await topUp();
      await installing;
      const schema = spares.pop() ?? (await install());
      return postgres({ connectionString: url, schema, ...HARNESS_OPTIONS });
    },
    reconnect(backend) {
      const { schema } = backend as PostgresBackend;
      return postgres({ connectionString: url, schema, ...HARNESS_OPTIONS });
    },
    async start(client, { concurrency }) {
      activeRuntimes++;
      try {
        await installing;
        const worker = client.work({ concurrency }) as PostgresWorkerHandle;
        await worker.ready;
        let running = true;
        const ended = () => {
          if (running) activeRuntimes--;
          running = false;
        };
        return {
          stop: (options) => worker.stop(options).finally(ended),
          crash: () => worker.crash().finally(ended),
        };
      } catch (error) {
        activeRuntimes--;
        throw error;
      }
    },
    async dispose() {
      await installing;
      if (database) await database.drop();
      else await dropSchemas(url, schemas);
    },
  };
}

export async function dropSchemas(url: string, schemas: ReadonlyArray<string>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
