// Durable steps on PostgreSQL, beyond the conformance kit's steps.* scenarios: what the adapter does in
// the database (the step table, the suspension applied by the release trigger, the flag that spares
// plain jobs a query, the deletion of steps) and what it costs in statements.
import { randomBytes } from "node:crypto";
import {
  createSwitchyard,
  defineJob,
  type JobLogger,
  PermanentError,
  type Switchyard,
  silentLogger,
  type Worker,
} from "@switchyard/core";
import { deferred, waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type PostgresBackend, type PostgresOptions, postgres } from "../src/index.js";
import { HARNESS_OPTIONS } from "./postgres-harness.js";
import { createTestDatabase } from "./test-database.js";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: pg.Client;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  database = await createTestDatabase("steps");
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

const empty = z.object({});

/** A client on a fresh schema, installed before its worker starts; closed after the test. */
async function setup(
  jobs: Parameters<typeof createSwitchyard>[0]["jobs"],
  options: Partial<PostgresOptions> & { logger?: JobLogger } = {},
): Promise<{ client: Switchyard; backend: PostgresBackend; S: string }> {
  const { logger = silentLogger, ...backendOptions } = options;
  const schema = `t_${randomBytes(5).toString("hex")}`;
  const connection = backendOptions.pool ? {} : { connectionString: database.url };
  const backend = postgres({ ...connection, schema, ...HARNESS_OPTIONS, ...backendOptions });
  // Attached before migrate(): the backend's graphile-worker logger is made with the client's logger.
  const client = createSwitchyard({ backend, jobs, logger });
  cleanups.push(() => client.close());
  await backend.migrate();
  return { client, backend, S: `"${schema}"` };
}

async function start(client: Switchyard, concurrency = 2): Promise<Worker> {
  const worker = client.work({ concurrency });
  cleanups.push(() => worker.stop({ graceful: false }));
  await worker.ready;
  return worker;
}

async function settled(client: Switchyard, id: string, state: string) {
  return waitFor(
    async () => {
      const snapshot = await client.get(id);
      return snapshot?.state === state && snapshot;
    },
    { message: `job ${id} to be ${state}`, timeoutMs: 15_000 },
  );
}

async function stepRows(S: string, id: string): Promise<string[]> {
  const { rows } = await db.query(
    `select step_id from ${S}.switchyard_steps where job_id = $1 order by position`,
    [id],
  );
  return rows.map((row) => row.step_id as string);
}

describe("a suspension", () => {
  it("gives back the attempt graphile-worker counted, keeps the last error, and is not logged as a failure", async () => {
    const attempts: number[] = [];
    const warnings: string[] = [];
    const logger: JobLogger = { info() {}, warn: (message) => void warnings.push(message), error() {} };
    const job = defineJob({
      name: "sleep-after-failure",
      schema: empty,
      retry: { maxAttempts: 2, backoff: { type: "fixed", delay: "100ms" } },
      handler: async (_p, ctx) => {
        attempts.push(ctx.attempt);
        if (ctx.attempt === 1) throw new Error("first attempt fails");
        await ctx.step.sleep("nap", "1500ms");
        return "awake";
      },
    });
    const { client, S } = await setup([job], { logger });
    await start(client);
    const { id } = await client.enqueue(job, {});
    await waitFor(() => attempts.length === 2, { message: "the second attempt" });
    const asleep = await settled(client, id, "delayed");
    const { rows } = await db.query(
      `select j.attempts, j.last_error, j.locked_by, j.run_at > now() + interval '500 ms' as later, s.outcome
         from ${S}._private_jobs j left join ${S}.switchyard_job_state s on s.job_id = j.id where j.id = $1`,
      [id],
    );
    // graphile-worker locked it as attempt 2; the release gave that attempt back.
    expect(rows[0]).toEqual({
      attempts: 1,
      last_error: "first attempt fails",
      locked_by: null,
      later: true,
      outcome: null,
    });
    expect(asleep).toMatchObject({ attempts: 1, error: { message: "first attempt fails" } });
    const done = await settled(client, id, "completed");
    expect(attempts).toEqual([1, 2, 2]);
    expect(done).toMatchObject({ attempts: 2, result: "awake", steps: ["nap"] });
    expect(warnings.filter((message) => message.includes("Failed task"))).toHaveLength(1); // attempt 1 only
  });
});

describe("what steps cost in statements", () => {
  it("a job that never stored a step reads none; a save is one statement; steps are read once per attempt", async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    cleanups.push(() => pool.end());
    const statements: string[] = [];
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (config, ...rest) => {
      const text = typeof config === "string" ? config : (config as { text: string }).text;
      if (text.includes("switchyard_steps") && !text.includes("array_agg")) statements.push(text);
      return query(config, ...rest);
    };
    let plainDone = false;
    const plain = defineJob({
      name: "plain",
      schema: empty,
      handler: () => {
        plainDone = true;
      },
    });
    const stepped = defineJob({
      name: "stepped",
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.run("a", () => 1);
        await ctx.step.run("b", () => 2);
        await ctx.step.sleep("nap", "300ms");
        return ctx.step.run("c", () => 3);
      },
    });
    const { client } = await setup([plain, stepped], { pool });
    await start(client);
    await client.enqueue(plain, {});
    await waitFor(() => plainDone, { message: "the plain job" });
    expect(statements).toEqual([]);
    const { id } = await client.enqueue(stepped, {});
    await settled(client, id, "completed");
    const loads = statements.filter((text) => text.trimStart().startsWith("select"));
    const saves = statements.filter((text) => !text.trimStart().startsWith("select"));
    expect(loads).toHaveLength(1); // the resume after the sleep; the first attempt had nothing to read
    expect(saves).toHaveLength(4); // a, b, nap, c
  });
});

describe("invoke", () => {
  it.each(["completes", "fails for good"])(
    "wakes the parent as soon as its child %s, before the parent's own next look",
    {
      timeout: 30_000,
    },
    async (ending) => {
      const release = deferred();
      const child = defineJob({
        name: "slow-child",
        schema: empty,
        handler: async () => {
          await release.promise;
          if (ending === "fails for good") throw new PermanentError("declined");
          return 7;
        },
      });
      const parent = defineJob({
        name: "waiting-parent",
        schema: empty,
        handler: (_p, ctx) => ctx.step.invoke("child", child, {}).catch((error: Error) => error.message),
      });
      const { client } = await setup([parent, child]);
      await start(client);
      const { id } = await client.enqueue(parent, {});
      // The parent looks at its child again after half the time it has waited: wait until the next look
      // is at least 1.5 s away, then let the child end.
      const asleep = await waitFor(
        async () => {
          const snapshot = await client.get(id);
          const ahead = (snapshot?.runAt?.getTime() ?? 0) - Date.now();
          return snapshot?.state === "delayed" && ahead >= 1_500 && snapshot;
        },
        { message: "the parent to look at its child 1.5 s later", timeoutMs: 15_000 },
      );
      const nextLook = asleep.runAt!.getTime();
      release.resolve();
      const done = await settled(client, id, "completed");
      expect(done.result).toEqual(ending === "completes" ? 7 : expect.stringContaining("declined"));
      expect(done.finishedAt!.getTime()).toBeLessThan(nextLook - 500);
    },
  );
});

describe("get and retry", () => {
  it("lists completed step ids in order (failed, listFailed, completed), and retry(id) resumes after them", async () => {
    const calls: string[] = [];
    let fail = true;
    const job = defineJob({
      name: "retry-resumes",
      schema: empty,
      retry: { maxAttempts: 1 },
      handler: async (_p, ctx) => {
        for (const step of ["z-first", "a-second"]) await ctx.step.run(step, () => void calls.push(step));
        if (fail) throw new PermanentError("declined");
        await ctx.step.run("last", () => void calls.push("last"));
      },
    });
    const { client } = await setup([job]);
    await start(client);
    const { id } = await client.enqueue(job, {});
    const failed = await settled(client, id, "failed");
    expect(failed.steps).toEqual(["z-first", "a-second"]);
    expect((await client.listFailed())[0]?.steps).toEqual(["z-first", "a-second"]);
    fail = false;
    expect(await client.retry(id)).toBe(true);
    const done = await settled(client, id, "completed");
    expect(calls).toEqual(["z-first", "a-second", "last"]);
    expect(done.steps).toEqual(["z-first", "a-second", "last"]);
  });
});

describe("deleting steps", () => {
  it("steps go with the finished record (completed or cancelled), or when a job is deleted without one", async () => {
    const job = defineJob({
      name: "kept",
      schema: z.object({ sleep: z.boolean() }),
      retry: { maxAttempts: 1 },
      handler: async (p, ctx) => {
        await ctx.step.run("one", () => 1);
        if (p.sleep) await ctx.step.sleep("long", "1h");
        else throw new PermanentError("stays failed");
      },
    });
    const { client, S } = await setup([job]);
    await start(client);
    const { id: sleeping } = await client.enqueue(job, { sleep: true });
    const { id: failed } = await client.enqueue(job, { sleep: false });
    await settled(client, sleeping, "delayed");
    await settled(client, failed, "failed");

    // Cancelling deletes the job, then writes its finished record: its steps stay with that record.
    expect(await client.cancel(sleeping)).toBe(true);
    expect(await stepRows(S, sleeping)).toEqual(["one", "long"]);
    expect((await client.get(sleeping))?.steps).toEqual(["one", "long"]);
    // The maintenance deletes finished records after keepFinished: the steps go with them.
    await db.query(`delete from ${S}.switchyard_finished where job_id = $1`, [sleeping]);
    expect(await stepRows(S, sleeping)).toEqual([]);

    // graphile-worker's own tools delete a job without a finished record: its steps go at commit.
    expect(await stepRows(S, failed)).toEqual(["one"]);
    await db.query("begin");
    await db.query(`select ${S}.complete_jobs(array[$1::bigint])`, [failed]);
    expect(await stepRows(S, failed)).toEqual(["one"]);
    await db.query("commit");
    expect(await stepRows(S, failed)).toEqual([]);
  });
});

describe("a schema installed before steps", () => {
  it("is upgraded: the step table is added and the 'suspended' outcome accepted", async () => {
    let resumed = false;
    const job = defineJob({
      name: "upgraded",
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.sleep("nap", "200ms");
        resumed = true;
      },
    });
    const schema = `t_${randomBytes(5).toString("hex")}`;
    const S = `"${schema}"`;
    const installer = postgres({ connectionString: database.url, schema });
    await installer.migrate();
    await installer.close();
    // Back to what adapter schema version 1 installed.
    await db.query(`drop table ${S}.switchyard_steps cascade;
      drop trigger _510_switchyard_job_steps_gone on ${S}._private_jobs;
      drop trigger _500_switchyard_finished_deleted on ${S}.switchyard_finished;
      drop trigger _520_switchyard_child_deleted on ${S}._private_jobs;
      drop trigger _520_switchyard_child_failed on ${S}._private_jobs;
      alter table ${S}.switchyard_job_state drop constraint switchyard_job_state_outcome_check;
      alter table ${S}.switchyard_job_state add constraint switchyard_job_state_outcome_check
        check (outcome in ('retry', 'failed', 'permanent', 'released', 'cancelled'));
      update ${S}.switchyard_meta set value = '1' where key = 'schema_version'`);
    const backend = postgres({ connectionString: database.url, schema, ...HARNESS_OPTIONS });
    const client = createSwitchyard({ backend, jobs: [job], logger: silentLogger });
    cleanups.push(() => client.close());
    await backend.migrate();
    await start(client);
    const { id } = await client.enqueue(job, {});
    const done = await settled(client, id, "completed");
    expect(resumed).toBe(true);
    expect(done.attempts).toBe(1); // suspended, not failed by a check constraint and retried
    expect(await stepRows(S, id)).toEqual(["nap"]);
  });
});
