import { randomBytes } from "node:crypto";
import type { ConformanceHarness } from "@switchyard/testkit";
import pg from "pg";
import { type PostgresBackend, type PostgresOptions, postgres } from "../src/index.js";
import { assertReachable, databaseUrl } from "./database-url.js";

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
 * The PostgreSQL harness: every backend gets its own schema `sy_<random>` in the database of
 * `DATABASE_URL` (default: the local server, database `test`); the schemas are dropped in `dispose`.
 *
 * Schemas are installed ahead, while no worker runs: graphile-worker announces each migration on the
 * database-wide channel `worker:migrate`, and every listening worker pool shuts down on a breaking one,
 * whatever its schema. So a spare stock is installed at the start and topped up only between runtimes,
 * and a runtime never starts while a schema is being installed.
 *
 * `crash()` abandons the worker's running jobs in-process (their locks stay until stalled-job recovery
 * frees them, after `stalledAfter`); the SIGKILL of a real worker process is test/crash.test.ts.
 */
export async function postgresHarness(url: string = databaseUrl()): Promise<ConformanceHarness> {
  await assertReachable(url);
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
    async start(client, { concurrency }) {
      activeRuntimes++;
      try {
        await installing;
        await client.schedules.sync();
        const worker = (client.backend as PostgresBackend).work({ concurrency });
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
      await dropSchemas(url, schemas);
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
