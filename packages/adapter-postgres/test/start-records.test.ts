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
/** The backend pid of the connection that sent the last start record: the recorder's held connection. */
let heldPid: number | undefined;

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
      if (config?.name?.startsWith("switchyard_started/")) {
        log.push(`sent ${String(config.values?.[1])}`);
        heldPid = (client as { processID?: number }).processID;
      }
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

  it("a marked job starts only once the write that includes it is answered; an unmarked one does not wait", {
    timeout: 30_000,
  }, async () => {
    const { client, enqueueMarked, finish } = await startWorker();
    const blocker = await pool.connect();
    try {
      // Every start record now stays in flight (its row is locked) until the blocker commits.
      await blocker.query("begin");
      await blocker.query(`select * from ${table("switchyard_workers")} for update`);
      log.length = 0;
      const { id: first } = await client.enqueue(runJob, { hold: true });
      await waitFor(() => log.includes(`ran ${first}`), {
        message: "the unmarked job to run, its record in flight",
      });
      expect(log.filter((line) => line.startsWith("sent"))).toEqual([`sent ${first}`]);

      const marked = await enqueueMarked();
      await sleep(500);
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

      // Alone, with no write in flight: its own write is sent at once, and it still waits for the answer.
      await blocker.query("begin");
      await blocker.query(`select * from ${table("switchyard_workers")} for update`);
      const alone = await enqueueMarked();
      await sleep(500);
      expect(log.at(-1), "its write is sent").toMatch(new RegExp(`^sent .*\\b${alone}\\b`));
      expect(log, "the marked job waits for its write's answer").not.toContain(`ran ${alone}`);
      await blocker.query("commit");
      await waitFor(() => log.includes(`ran ${alone}`), { message: "the marked job to run" });
    } finally {
      await blocker.query("rollback").catch(() => {});
      blocker.release();
      await finish();
    }
  });

  it("a held connection the server ended is made again: the next marked job's start is recorded", {
    timeout: 30_000,
  }, async () => {
    const { client, enqueueMarked, finish } = await startWorker();
    try {
      const { id: before } = await client.enqueue(runJob, { hold: false });
      await waitFor(() => log.includes(`ran ${before}`), { message: "a job to run" });
      // Its record landed: heldPid is now this worker's held connection.
      await waitFor(
        async () =>
          (
            await pool.query(`select 1 from ${table("switchyard_workers")} where $1::bigint = any(started)`, [
              before,
            ])
          ).rowCount === 1,
        { message: "its start record" },
      );
      expect(heldPid).toBeDefined();
      await pool.query("select pg_terminate_backend($1)", [heldPid]);
      await sleep(200);
      const marked = await enqueueMarked({ readRecord: true });
      await waitFor(() => log.includes(`ran ${marked}`), { message: "the marked job to run" });
      expect(log, log.join(" | ")).toContain(`record of ${marked}: true`);
    } finally {
      await finish();
    }
  });

  it("a marked job whose write loses its connection in flight waits for the write made again on a new one", {
    timeout: 30_000,
  }, async () => {
    const { enqueueMarked, finish } = await startWorker();
    const blocker = await pool.connect();
    try {
      await blocker.query("begin");
      await blocker.query(`select * from ${table("switchyard_workers")} for update`);
      log.length = 0;
      const marked = await enqueueMarked({ readRecord: true });
      await waitFor(
        () => log.some((line) => line.startsWith("sent") && line.split(/[ ,]/).includes(marked)),
        {
          message: "its write to be sent (and held by the lock)",
        },
      );
      await pool.query("select pg_terminate_backend($1)", [heldPid]);
      await sleep(500);
      expect(log, "the lost write is made again, and held by the lock too").not.toContain(`ran ${marked}`);
      await blocker.query("commit");
      await waitFor(() => log.includes(`ran ${marked}`), { message: "the marked job to run" });
      await waitFor(() => log.some((line) => line.startsWith(`record of ${marked}`)), {
        message: "its record read",
      });
      expect(log, log.join(" | ")).toContain(`record of ${marked}: true`);
    } finally {
      await blocker.query("rollback").catch(() => {});
      blocker.release();
      await finish();
    }
  });
});

const runJob = defineJob({
  name: "records.run",
  schema: z.object({ hold: z.boolean(), readRecord: z.boolean().optional() }),
  handler: async (payload, ctx) => {
    log.push(`ran ${ctx.id}`);
    if (payload.readRecord) {
      const { rows } = await pool.query<{ recorded: boolean }>(
        `select bool_or($1::bigint = any(started)) as recorded from ${table("switchyard_workers")}`,
        [ctx.id],
      );
      log.push(`record of ${ctx.id}: ${rows[0]?.recorded === true}`);
    }
    if (payload.hold) await holdReleased;
  },
});
let releaseHeld!: () => void;
let holdReleased = Promise.resolve();

/** A worker of concurrency 2 on runJob, and a way to enqueue a job as recovery leaves one (marked). */
async function startWorker() {
  log.length = 0;
  heldPid = undefined;
  holdReleased = new Promise<void>((resolve) => {
    releaseHeld = resolve;
  });
  const client = createSwitchyard({
    backend: postgres({ pool, schema: SCHEMA }),
    jobs: [runJob],
    logger: silentLogger,
  });
  const worker = client.work({ concurrency: 2 });
  await worker.ready;
  async function enqueueMarked(payload: { readRecord?: boolean } = {}): Promise<string> {
    // Added not yet due, then marked and made due, and the worker told: it fetches the job as marked.
    const { id } = await client.enqueue(runJob, { hold: false, ...payload }, { delay: "1h" });
    await pool.query(
      `update ${table("_private_jobs")} set flags = jsonb_build_object($2::text, true), run_at = now()
        where id = $1`,
      [id, RECOVERED_FLAG],
    );
    await pool.query(`select pg_notify('jobs:insert', '{"count":1}')`);
    // Fetched (locked), or already run when nothing held it back.
    await waitFor(
      async () =>
        log.includes(`ran ${id}`) ||
        (
          await pool.query(
            `select 1 from ${table("_private_jobs")} where id = $1 and locked_at is not null`,
            [id],
          )
        ).rowCount === 1,
      { message: `the marked job ${id} to be fetched` },
    );
    return id;
  }
  async function finish() {
    releaseHeld();
    await worker.stop();
    await client.close();
  }
  return { client, enqueueMarked, finish };
}
