import { randomBytes } from "node:crypto";
import {
  BackendUnavailableError,
  ConfigError,
  createSwitchyard,
  defineJob,
  PermanentError,
  type Switchyard,
  silentLogger,
  type Worker,
} from "@switchyard/core";
import { nextCronTime } from "@switchyard/core/adapter";
import { Probe, sleep, waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ADAPTER_SCHEMA_VERSION } from "../src/adapter-schema.js";
import { ConcurrencyLanes, fitLaneBase } from "../src/concurrency-lanes.js";
import {
  fromEnv,
  type PostgresBackend,
  type PostgresOptions,
  postgres,
  postgresCapabilities,
} from "../src/index.js";
import { HARNESS_OPTIONS } from "./postgres-harness.js";
import { createTestDatabase } from "./test-database.js";

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

/** A client on a fresh schema, installed before any worker starts; closed after the test. */
async function setup(
  jobs: Parameters<typeof createSwitchyard>[0]["jobs"],
  options: Partial<PostgresOptions> = {},
): Promise<{ client: Switchyard; backend: PostgresBackend; schema: string }> {
  const schema = `t_${randomBytes(5).toString("hex")}`;
  const backend = postgres({ connectionString: database.url, schema, ...HARNESS_OPTIONS, ...options });
  await backend.migrate();
  const client = createSwitchyard({ backend, jobs, logger: silentLogger });
  cleanups.push(() => client.close());
  return { client, backend, schema };
}

function start(client: Switchyard, concurrency = 4): Promise<Worker> {
  const worker = client.work({ concurrency });
  cleanups.push(() => worker.stop({ graceful: false }));
  return worker.ready.then(() => worker);
}

const numberPayload = z.object({ n: z.number() });

describe("faults and bad input", () => {
  it("PostgreSQL unreachable at enqueue is a BackendUnavailableError, with the driver's error as cause", async () => {
    const job = defineJob({ name: "unreachable", schema: numberPayload, handler: () => {} });
    const client = createSwitchyard({
      backend: postgres({
        connectionString: "postgres://postgres@127.0.0.1:1/test",
        connectionTimeoutMillis: 2_000,
      }),
      jobs: [job],
      logger: silentLogger,
    });
    cleanups.push(() => client.close());
    const error = await client.enqueue(job, { n: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ code: "SWITCHYARD_BACKEND_UNAVAILABLE" });
    expect((error as Error).message).toContain("PostgreSQL is unreachable");
    expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
    await expect(client.get("1")).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it("a stored payload that fails the schema fails permanently with the issues, and the worker keeps running", async () => {
    const probe = new Probe();
    const job = defineJob({
      name: "strict",
      schema: z.object({ to: z.email(), n: z.number().int() }),
      retry: { maxAttempts: 5, backoff: { type: "fixed", delay: "100ms" } },
      handler: (payload, ctx) => probe.enter(payload, ctx)(),
    });
    const { client, schema } = await setup([job]);
    // Written by something other than Switchyard (an older deploy, a manual insert): never validated.
    const { rows } = await db.query(
      `select id::text as id from "${schema}".add_job('strict', '{"to":"nobody","n":1.5}'::json, max_attempts => 5)`,
    );
    const badId = rows[0].id as string;
    await start(client);
    const failed = await waitFor(async () => {
      const snapshot = await client.get(badId);
      return snapshot?.state === "failed" && snapshot;
    });
    expect(failed.attempts).toBe(1);
    expect(failed.maxAttempts).toBe(5);
    expect(failed.error?.code).toBe("SWITCHYARD_VALIDATION");
    expect(failed.error?.message).toMatch(/to: .*email/i);
    expect(failed.error?.message).toMatch(/n: /);
    expect((await client.listFailed()).map((snapshot) => snapshot.id)).toEqual([badId]);
    const good = await client.enqueue(job, { to: "a@example.com", n: 2 });
    await waitFor(() => probe.calls.length === 1, { message: "the next job to run" });
    expect(probe.calls.map((call) => call.id)).toEqual([good.id]);
  });

  it("rejects bad options at construction and jobs graphile-worker cannot store", () => {
    expect(() => postgres({} as PostgresOptions)).toThrow(/connectionString or pool/);
    expect(() => postgres({ connectionString: database.url, schema: "bad-name; drop" })).toThrow(/schema/);
    const greedy = defineJob({
      name: "greedy",
      schema: numberPayload,
      retry: { maxAttempts: 40_000 },
      handler: () => {},
    });
    expect(() =>
      createSwitchyard({ backend: postgres({ connectionString: database.url }), jobs: [greedy] }),
    ).toThrow(/at most 32767/);
  });
});

describe("the gaps graphile-worker leaves, closed by the adapter", () => {
  it("the retry delay is the policy's, not graphile-worker's exp(attempts) seconds", async () => {
    const job = defineJob({
      name: "slow-retry",
      schema: numberPayload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "30s" } },
      handler: () => {
        throw new Error("down");
      },
    });
    const { client, schema } = await setup([job]);
    await start(client);
    const { id } = await client.enqueue(job, { n: 1 });
    await waitFor(
      async () => (await client.get(id))?.attempts === 1 && (await client.get(id))?.state === "delayed",
    );
    const { rows } = await db.query(
      `select extract(epoch from run_at - now()) * 1000 as due_in, last_error, locked_at
         from "${schema}"._private_jobs where id = $1`,
      [id],
    );
    // graphile-worker alone would have set run_at to now + e^1 s (2.7 s).
    expect(Number(rows[0].due_in)).toBeGreaterThan(28_000);
    expect(Number(rows[0].due_in)).toBeLessThanOrEqual(30_000);
    expect(rows[0]).toMatchObject({ last_error: "down", locked_at: null });
    expect((await client.get(id))?.error).toEqual({ message: "down", code: "Error" });
  });

  it("a PermanentError is not retried; retry(id) restores the job's maxAttempts", async () => {
    const probe = new Probe();
    let healthy = false;
    const job = defineJob({
      name: "permanent",
      schema: numberPayload,
      retry: { maxAttempts: 4, backoff: { type: "fixed", delay: "100ms" } },
      handler: (payload, ctx) => {
        probe.enter(payload, ctx)();
        if (!healthy) throw new PermanentError("no such account");
        return "ok";
      },
    });
    const { client, schema } = await setup([job]);
    await start(client);
    const { id } = await client.enqueue(job, { n: 1 });
    const failed = await waitFor(async () => {
      const snapshot = await client.get(id);
      return snapshot?.state === "failed" && snapshot;
    });
    expect(failed).toMatchObject({ attempts: 1, maxAttempts: 4 });
    expect(failed.error).toEqual({ message: "no such account", code: "SWITCHYARD_PERMANENT" });
    const stored = await db.query(
      `select attempts, max_attempts from "${schema}"._private_jobs where id = $1`,
      [id],
    );
    expect(stored.rows[0]).toEqual({ attempts: 1, max_attempts: 1 });
    await sleep(500);
    expect(probe.calls).toHaveLength(1);
    healthy = true;
    expect(await client.retry(id)).toBe(true);
    const done = await waitFor(async () => {
      const snapshot = await client.get(id);
      return snapshot?.state === "completed" && snapshot;
    });
    expect(done).toMatchObject({ attempts: 1, maxAttempts: 4, result: "ok" });
    expect(probe.calls.map((call) => call.maxAttempts)).toEqual([4, 4]);
  });

  it("an idempotency key held by a running job deduplicates (graphile-worker's replace mode would start a second run)", async () => {
    const probe = new Probe();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const job = defineJob({
      name: "keyed",
      schema: numberPayload,
      handler: async (payload, ctx) => {
        probe.enter(payload, ctx)();
        await held;
      },
    });
    const { client } = await setup([job]);
    await start(client);
    const first = await client.enqueue(job, { n: 1 }, { idempotencyKey: "k" });
    await waitFor(() => probe.calls.length === 1, { message: "the keyed job to start" });
    expect((await client.get(first.id))?.state).toBe("active");
    const second = await client.enqueue(job, { n: 2 }, { idempotencyKey: "k" });
    expect(second).toEqual({ id: first.id, deduplicated: true });
    release();
    await waitFor(async () => (await client.get(first.id))?.state === "completed");
    // Completed jobs are deleted by graphile-worker; the key is kept for its ttl all the same.
    const third = await client.enqueue(job, { n: 3 }, { idempotencyKey: "k" });
    expect(third).toEqual({ id: first.id, deduplicated: true });
    await sleep(500);
    expect(probe.calls.map((call) => call.payload)).toEqual([{ n: 1 }]);
  });

  it("get of a completed job, which graphile-worker has deleted, comes from the adapter's record", async () => {
    const job = defineJob({ name: "done", schema: numberPayload, handler: (p) => ({ twice: p.n * 2 }) });
    const { client, schema } = await setup([job]);
    await start(client);
    const { id } = await client.enqueue(job, { n: 4 });
    const done = await waitFor(async () => {
      const snapshot = await client.get(id);
      return snapshot?.state === "completed" && snapshot;
    });
    const live = await db.query(`select count(*)::int as n from "${schema}"._private_jobs where id = $1`, [
      id,
    ]);
    expect(live.rows[0].n).toBe(0);
    expect(done).toMatchObject({ id, name: "done", attempts: 1, maxAttempts: 3, result: { twice: 8 } });
    // The payload went with graphile-worker's row; the adapter keeps a narrow record only.
    expect(done.payload).toBeUndefined();
    expect(done.finishedAt).toBeInstanceOf(Date);
  });

  it("cron schedules run in their time zone: the next run is the zone's wall-clock time, stored in UTC", async () => {
    const job = defineJob({ name: "zoned", schema: numberPayload, handler: () => {} });
    const { client } = await setup([job]);
    const before = new Date();
    await client.schedules.upsert(job, {
      id: "paris-9",
      cron: "0 9 * * *",
      timezone: "Europe/Paris",
      payload: { n: 1 },
    });
    const [entry] = await client.schedules.list();
    expect(entry).toMatchObject({ id: "paris-9", cron: "0 9 * * *", timezone: "Europe/Paris" });
    expect(entry?.nextRunAt?.getTime()).toBe(nextCronTime("0 9 * * *", "Europe/Paris", before)?.getTime());
    const parisHour = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Paris",
      hour: "numeric",
      hourCycle: "h23",
    }).format(entry!.nextRunAt!);
    expect(parisHour).toBe("09");
  });

  it("upserting an unchanged schedule keeps its next run (a redeploy does not postpone an interval)", async () => {
    const job = defineJob({ name: "hourly", schema: numberPayload, handler: () => {} });
    const { client } = await setup([job]);
    await client.schedules.upsert(job, { id: "h", every: "1h", payload: { n: 1 } });
    const [first] = await client.schedules.list();
    await sleep(50);
    await client.schedules.upsert(job, { id: "h", every: "1h", payload: { n: 1 } });
    const [same] = await client.schedules.list();
    expect(same?.nextRunAt?.getTime()).toBe(first?.nextRunAt?.getTime());
    await client.schedules.upsert(job, { id: "h", every: "1h", payload: { n: 2 } });
    const [changed] = await client.schedules.list();
    expect(changed?.nextRunAt?.getTime()).toBeGreaterThan(first!.nextRunAt!.getTime());
  });
});

describe("workers", () => {
  it("a stop without grace puts the running job back at once, its attempt counted", async () => {
    const probe = new Probe();
    const job = defineJob({
      name: "interrupted",
      schema: numberPayload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "20s" } },
      handler: (payload, ctx) =>
        new Promise<string>((resolve) => {
          probe.enter(payload, ctx);
          if (ctx.attempt > 1) resolve("second time");
        }),
    });
    const { client } = await setup([job]);
    const first = await start(client);
    const { id } = await client.enqueue(job, { n: 1 });
    await waitFor(() => probe.calls.length === 1, { message: "the first attempt" });
    await first.stop({ graceful: false });
    const waiting = await client.get(id);
    expect(waiting).toMatchObject({ state: "waiting", attempts: 1 });
    expect(waiting?.error?.code).toBe("SWITCHYARD_STALLED");
    const stoppedAt = Date.now();
    await start(client);
    await waitFor(() => probe.calls.length === 2, { message: "the job to run again" });
    // Not after the 20 s backoff, nor graphile-worker's exp(1) s.
    expect(probe.calls[1]!.at - stoppedAt).toBeLessThan(1_500);
    expect(probe.calls[1]?.attempt).toBe(2);
  });

  it("a breaking migration announced for another schema does not stop the worker (graphile-worker would)", async () => {
    const probe = new Probe();
    const job = defineJob({
      name: "steady",
      schema: numberPayload,
      handler: (p, ctx) => probe.enter(p, ctx)(),
    });
    const { client } = await setup([job]);
    await start(client);
    await client.enqueue(job, { n: 1 });
    await waitFor(() => probe.calls.length === 1, { message: "a job before the announcement" });
    const exitCode = process.exitCode;
    // What graphile-worker announces to the whole database when any schema in it takes a breaking migration.
    await db.query(`select pg_notify('worker:migrate', '{"migrationNumber":999,"breaking":true}')`);
    await sleep(1_000);
    await client.enqueue(job, { n: 2 });
    await waitFor(() => probe.calls.length === 2, { message: "a job after the announcement" });
    expect(process.exitCode).toBe(exitCode);
  });

  it("stalled-job recovery leaves alone the locks of pools that never heartbeated (plain graphile-worker)", async () => {
    const job = defineJob({ name: "foreign", schema: numberPayload, handler: () => {} });
    const { client, schema } = await setup([job]);
    const { id } = await client.enqueue(job, { n: 1 });
    // As a plain graphile-worker pool sharing the schema would hold it, for an hour already.
    await db.query(
      `update "${schema}"._private_jobs set locked_by = 'pool-foreign', locked_at = now() - interval '1 hour',
         attempts = 1 where id = $1`,
      [id],
    );
    await start(client);
    await sleep(2_500); // more than twice stalledAfter (1 s in these tests)
    const { rows } = await db.query(`select locked_by from "${schema}"._private_jobs where id = $1`, [id]);
    expect(rows[0]?.locked_by).toBe("pool-foreign");
    expect((await client.get(id))?.state).toBe("active");
  });

  it("a graceful stop with a timeout aborts what still runs when the timeout passes", async () => {
    let aborted = false;
    let running = false;
    const job = defineJob({
      name: "stubborn",
      schema: numberPayload,
      handler: (_payload, ctx) =>
        new Promise<void>((resolve) => {
          running = true;
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        }),
    });
    const { client } = await setup([job]);
    const worker = await start(client);
    const { id } = await client.enqueue(job, { n: 1 });
    // The handler itself: a job in the local queue is already "active" (locked) before a handler takes it.
    await waitFor(async () => running && (await client.get(id))?.state === "active");
    const started = Date.now();
    await worker.stop({ graceful: true, timeout: "400ms" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(aborted).toBe(true);
    expect((await client.get(id))?.state).toBe("waiting");
  });

  it("close() releases every connection of the pool it made", async () => {
    const application = `sy_close_${randomBytes(3).toString("hex")}`;
    const job = defineJob({ name: "closing", schema: numberPayload, handler: () => {} });
    const schema = `t_${randomBytes(5).toString("hex")}`;
    const url = new URL(database.url);
    url.searchParams.set("application_name", application);
    const backend = postgres({ connectionString: url.toString(), schema, ...HARNESS_OPTIONS });
    const client = createSwitchyard({ backend, jobs: [job], logger: silentLogger });
    const worker = client.work({ concurrency: 2 });
    await worker.ready;
    await client.enqueue(job, { n: 1 });
    const count = async () =>
      (
        await db.query("select count(*)::int as n from pg_stat_activity where application_name = $1", [
          application,
        ])
      ).rows[0].n as number;
    expect(await count()).toBeGreaterThan(0);
    await worker.stop();
    await client.close();
    await waitFor(async () => (await count()) === 0, {
      message: "every connection to close",
      timeoutMs: 5_000,
    });
  });
});

describe("configuration", () => {
  it("fromEnv needs DATABASE_URL and takes the schema from SWITCHYARD_POSTGRES_SCHEMA", async () => {
    expect(() => fromEnv({})).toThrow(/DATABASE_URL/);
    const backend = fromEnv({ DATABASE_URL: database.url, SWITCHYARD_POSTGRES_SCHEMA: "from_env" });
    expect(backend.schema).toBe("from_env");
    expect(backend.capabilities).toBe(postgresCapabilities);
    expect(fromEnv({ DATABASE_URL: database.url }).schema).toBe("graphile_worker");
    await backend.close();
  });

  it("fromEnv takes migrate from SWITCHYARD_MIGRATE: off, a schema that is not there is a ConfigError; a bad value is refused", async () => {
    const env = {
      DATABASE_URL: database.url,
      SWITCHYARD_POSTGRES_SCHEMA: `absent_${randomBytes(4).toString("hex")}`,
    };
    const job = defineJob({ name: "env-migrate", schema: numberPayload, handler: () => {} });
    const client = createSwitchyard({
      backend: fromEnv({ ...env, SWITCHYARD_MIGRATE: "false" }),
      jobs: [job],
      logger: silentLogger,
    });
    try {
      await expect(client.enqueue(job, { n: 1 })).rejects.toThrow(ConfigError);
      await expect(client.get("1")).rejects.toThrow(/is not installed/);
    } finally {
      await client.close();
    }
    expect(() => fromEnv({ ...env, SWITCHYARD_MIGRATE: "maybe" })).toThrow(
      /SWITCHYARD_MIGRATE must be true or false/,
    );
  });

  it("installs the schema on first use", async () => {
    const schema = `t_${randomBytes(5).toString("hex")}`;
    const job = defineJob({ name: "first-use", schema: numberPayload, handler: () => {} });
    const client = createSwitchyard({
      backend: postgres({ connectionString: database.url, schema }),
      jobs: [job],
      logger: silentLogger,
    });
    cleanups.push(() => client.close());
    const { id } = await client.enqueue(job, { n: 1 });
    expect((await client.get(id))?.state).toBe("waiting");
    const { rows } = await db.query(
      `select (select max(id) from "${schema}".migrations) as graphile, (select value from "${schema}".switchyard_meta) as adapter`,
    );
    expect(rows[0].graphile).toBeGreaterThanOrEqual(19);
    expect(rows[0].adapter).toBe(String(ADAPTER_SCHEMA_VERSION));
  });

  it("gives each enqueued job its lane base and a round-robin turn, per concurrency key", () => {
    const lanes = new ConcurrencyLanes();
    const job = defineJob({ name: "mail", schema: numberPayload, concurrency: 2, handler: () => {} });
    const free = defineJob({ name: "free", schema: numberPayload, handler: () => {} });
    expect([1, 2, 3].map(() => lanes.laneOf(job, undefined))).toEqual([
      { base: "mail", turn: 0, fallbackLimit: 2 },
      { base: "mail", turn: 1, fallbackLimit: 2 },
      { base: "mail", turn: 2, fallbackLimit: 2 },
    ]);
    expect(lanes.laneOf(job, "tenant-a")).toEqual({ base: "mail:tenant-a", turn: 0, fallbackLimit: 2 });
    // Without a limit of its own, the job still has a lane: the workers' stored limit may give it one.
    expect(lanes.laneOf(free, undefined)).toEqual({ base: "free", turn: 0, fallbackLimit: null });
    const long = lanes.laneOf(job, "k".repeat(300)).base;
    expect(`${long}#9999999`.length).toBeLessThanOrEqual(128);
    expect(long).toBe(fitLaneBase(`mail:${"k".repeat(300)}`));
    expect(long).not.toBe(fitLaneBase(`mail:${"k".repeat(299)}`));
  });
});
