// The start records of a worker with a local queue (started-jobs.ts): a job does not wait for its record,
// unless stalled-job recovery gave it an attempt back (it may be a job that kills its process); such a job
// starts only once a write that includes it has been sent. And what recovery does with the records.
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { RECOVERED_FLAG } from "../src/started-jobs.js";
import { createTestDatabase } from "./test-database.js";

const SCHEMA = "start_records";
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
/** What happened, in order: `sent <ids>` for each start record written, `ran <id>` for each handler. */
const log: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase("start_records");
  pool = new pg.Pool({ connectionString: database.url, max: 10 });
  pool.on("error", () => {});
  // Logs each start record as node-postgres is handed it (it writes it to the socket at once).
  pool.on("connect", (client) => {
    client.on("error", () => {});
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const config = args[0] as { name?: string; values?: unknown[] } | undefined;
      if (config?.name?.startsWith("switchyard_started/")) log.push(`sent ${String(config.values?.[1])}`);
      return query(...args);
    };
  });
  await postgres({ pool, schema: SCHEMA }).migrate();
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const table = (name: string) => `"${SCHEMA}".${name}`;

describe("start records", () => {
  it("recovery gives an attempt back to a job fetched ahead and never started, and marks it; a recorded job keeps its attempt", async () => {
    const job = defineJob({ name: "records.plain", schema: z.object({}), handler: () => {} });
    const client = createSwitchyard({
      backend: postgres({ pool, schema: SCHEMA }),
      jobs: [job],
      logger: silentLogger,
    });
    try {
      const { id: ran } = await client.enqueue(job, {});
      const { id: ahead } = await client.enqueue(job, {});
      // A pool that locked both (counting an attempt each), started one, and died a minute ago.
      await pool.query(
        `update ${table("_private_jobs")} set locked_by = 'dead-pool', locked_at = now(), attempts = 1
          where id = any($1::bigint[])`,
        [[ran, ahead]],
      );
      await pool.query(
        `insert into ${table("switchyard_workers")} (pool_id, heartbeat_at, started)
         values ('dead-pool', now() - interval '1 minute', $1::bigint[])`,
        [[ran]],
      );
      await pool.query(`select "${SCHEMA}".switchyard_recover_stalled(interval '10 seconds')`);
      const { rows: jobs } = await pool.query<{
        id: string;
        attempts: number;
        flags: Record<string, true> | null;
      }>(`select id::text, attempts, flags from ${table("_private_jobs")} where id = any($1::bigint[])`, [
        [ran, ahead],
      ]);
      const byId = new Map(jobs.map((row) => [row.id, row]));
      expect(byId.get(ran)).toMatchObject({ attempts: 1 });
      expect(byId.get(ran)?.flags?.[RECOVERED_FLAG]).toBeUndefined();
      expect(byId.get(ahead)).toMatchObject({ attempts: 0, flags: { [RECOVERED_FLAG]: true } });
    } finally {
      await pool.query(`delete from ${table("_private_jobs")}`);
      await client.close();
    }
  });

  it("a job recovery marked starts only once its record was sent; an unmarked one does not wait for the write in flight", {
    timeout: 30_000,
  }, async () => {
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const job = defineJob({
      name: "records.run",
      schema: z.object({ hold: z.boolean() }),
      handler: async (payload, ctx) => {
        log.push(`ran ${ctx.id}`);
        if (payload.hold) await firstMayEnd;
      },
    });
    const client = createSwitchyard({
      backend: postgres({ pool, schema: SCHEMA }),
      jobs: [job],
      logger: silentLogger,
    });
    const worker = client.work({ concurrency: 2 });
    const blocker = await pool.connect();
    try {
      await worker.ready;
      // Every start record now stays in flight (its row is locked) until the blocker commits.
      await blocker.query("begin");
      await blocker.query(`select * from ${table("switchyard_workers")} for update`);
      log.length = 0;
      const { id: first } = await client.enqueue(job, { hold: true });
      await waitFor(() => log.includes(`ran ${first}`), {
        message: "the unmarked job to run, its record in flight",
      });
      expect(log.filter((line) => line.startsWith("sent"))).toEqual([`sent ${first}`]);

      const { id: marked } = await client.enqueue(job, { hold: false }, { delay: "1s" });
      await pool.query(
        `update ${table("_private_jobs")} set flags = jsonb_build_object($2::text, true), run_at = now()
          where id = $1`,
        [marked, RECOVERED_FLAG],
      );
      await pool.query(`select pg_notify('jobs:insert', '{"count":1}')`);
      await sleep(1_000);
      expect(log, "the marked job waits while the write before its own is in flight").not.toContain(
        `ran ${marked}`,
      );

      await blocker.query("commit");
      await waitFor(() => log.includes(`ran ${marked}`), { message: "the marked job to run" });
      const sentWithIt = log.findIndex(
        (line) => line.startsWith("sent") && line.split(/[ ,]/).includes(marked),
      );
      expect(sentWithIt, log.join(" | ")).toBeGreaterThan(-1);
      expect(sentWithIt).toBeLessThan(log.indexOf(`ran ${marked}`));
    } finally {
      await blocker.query("rollback").catch(() => {});
      blocker.release();
      releaseFirst();
      await worker.stop();
      await client.close();
    }
  });
});
