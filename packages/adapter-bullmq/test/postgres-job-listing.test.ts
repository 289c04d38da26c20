import { ConfigError, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq } from "../src/index.js";
import { enqueueApart, failing, numberPayload, pages } from "./list-pages.js";
import { createBullmqTestDatabase } from "./postgres-harness.js";

// counts() and list() of bullmq({ postgres }) beyond the conformance kit: cursors when jobs leave the
// state between pages, jobs cancelled while running, and an operator's client (jobs: []).

let database: Awaited<ReturnType<typeof createBullmqTestDatabase>>;
const open: Array<{ close(): Promise<void> }> = [];
let schemas = 0;

beforeAll(async () => {
  database = await createBullmqTestDatabase("listing");
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((closable) => closable.close()));
});
afterAll(async () => {
  await database?.drop();
});

/** A client on `schema` (a fresh one by default). */
function client(jobs: Parameters<typeof createSwitchyard>[0]["jobs"], schema = `listing_${++schemas}`) {
  const created = createSwitchyard({
    backend: bullmq({ postgres: { connectionString: database.url, schema } }),
    jobs,
    logger: silentLogger,
  });
  open.push(created);
  return created;
}

describe("bullmq({ postgres }) list() cursors", () => {
  it("continue below the last job listed when jobs of the page are cancelled between pages", async () => {
    const job = failing("waiting");
    const jobs = client([job]);
    const ids = (await enqueueApart(jobs, job, 10)).reverse(); // newest first
    const listed = await pages(jobs, "waiting", job.name, 4, async (index, page) => {
      // The page's last job (where the next page starts) and the one before it leave the state.
      if (index === 0) for (const id of page.slice(-2)) expect(await jobs.cancel(id)).toBe(true);
    });
    expect(listed).toEqual([ids.slice(0, 4), ids.slice(4, 8), ids.slice(8)]);
  });

  it("list a batch enqueued in one call newest first, in the order it was given", async () => {
    const job = failing("batch");
    const jobs = client([job]);
    const ids = (
      await jobs.enqueueMany(
        job,
        [0, 1, 2, 3, 4, 5].map((n) => ({ n })),
      )
    ).map((result) => result.id);
    expect((await pages(jobs, "waiting", job.name, 2)).flat()).toEqual([...ids].reverse());
  });

  it("continue below the last job listed when failed jobs of the page are retried between pages", async () => {
    const job = failing("failed");
    const jobs = client([job]);
    const worker = jobs.work({ concurrency: 1 });
    open.unshift({ close: () => worker.stop() });
    await enqueueApart(jobs, job, 9);
    await expect.poll(async () => (await jobs.counts({ job: job.name })).failed, { timeout: 20_000 }).toBe(9);
    const order = (await jobs.list({ state: "failed", job: job.name })).jobs.map((snapshot) => snapshot.id);
    const listed = await pages(jobs, "failed", job.name, 3, async (index, page) => {
      if (index === 0) for (const id of page) expect(await jobs.retry(id)).toBe(true);
    });
    // The retried jobs fail again and come back newest: a later page does not list them twice.
    expect(listed.flat().slice(0, 3)).toEqual(order.slice(0, 3));
    expect(listed.flat().slice(3)).toEqual(order.slice(3));
  });

  it("refuses a cursor of another state or job, and one that is not a cursor", async () => {
    const job = failing("cursor");
    const jobs = client([job]);
    await enqueueApart(jobs, job, 3);
    const { cursor } = await jobs.list({ state: "waiting", job: job.name, limit: 1 });
    expect(cursor).toBeDefined();
    await expect(jobs.list({ state: "delayed", job: job.name, cursor })).rejects.toThrow(ConfigError);
    await expect(jobs.list({ state: "waiting", cursor })).rejects.toThrow(/not of this one/);
    // A cursor of the Redis backend's shape.
    const redisShaped = Buffer.from(
      JSON.stringify({ v: 1, state: "waiting", job: job.name, anchors: { x: { s: 1, m: "1" } } }),
    ).toString("base64url");
    await expect(jobs.list({ state: "waiting", job: job.name, cursor: redisShaped })).rejects.toThrow(
      ConfigError,
    );
  });
});

describe("bullmq({ postgres }) counts() and list() of cancelled jobs", () => {
  it("a job cancelled while it runs is cancelled, not failed, once BullMQ has failed it", async () => {
    let started = false;
    const job = defineJob({
      name: "cancel-running",
      schema: numberPayload,
      handler: async (_payload, ctx) => {
        started = true;
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const jobs = client([job]);
    const worker = jobs.work({ concurrency: 1 });
    open.unshift({ close: () => worker.stop() });
    await worker.ready;
    const { id } = await jobs.enqueue(job, { n: 1 });
    await expect.poll(() => started, { timeout: 10_000 }).toBe(true);
    expect(await jobs.counts({ job: job.name })).toMatchObject({ active: 1, cancelled: 0 });
    expect(await jobs.cancel(id)).toBe(true);
    await expect.poll(async () => (await jobs.get(id))?.state, { timeout: 10_000 }).toBe("cancelled");
    expect(await jobs.counts({ job: job.name })).toMatchObject({ active: 0, failed: 0, cancelled: 1 });
    expect((await jobs.list({ state: "failed", job: job.name })).jobs).toEqual([]);
    expect(await jobs.listFailed({ job: job.name })).toEqual([]);
    const cancelled = await jobs.list({ state: "cancelled", job: job.name });
    expect(cancelled.jobs.map((snapshot) => [snapshot.id, snapshot.state])).toEqual([[id, "cancelled"]]);
  });

  it("a job cancelled before it ran counts and lists while its record is kept", async () => {
    const job = failing("cancel-waiting");
    const jobs = createSwitchyard({
      backend: bullmq({
        postgres: { connectionString: database.url, schema: `listing_${++schemas}` },
        cancelledRetention: "300ms",
      }),
      jobs: [job],
      logger: silentLogger,
    });
    open.push(jobs);
    const { id } = await jobs.enqueue(job, { n: 1 });
    expect(await jobs.cancel(id)).toBe(true);
    expect(await jobs.counts({ job: job.name })).toMatchObject({ waiting: 0, cancelled: 1 });
    const listed = (await jobs.list({ state: "cancelled", job: job.name })).jobs;
    expect(listed.map((snapshot) => [snapshot.id, snapshot.state, snapshot.payload])).toEqual([
      [id, "cancelled", { n: 1 }],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await jobs.counts({ job: job.name })).toMatchObject({ cancelled: 0 });
    expect((await jobs.list({ state: "cancelled", job: job.name })).jobs).toEqual([]);
  });
});

describe("bullmq({ postgres }) operator's client (jobs: [])", () => {
  it("counts, lists and lists the failed jobs and schedules of every job in its schema, and none of another schema", async () => {
    const schema = `listing_${++schemas}`;
    const first = failing("op-first");
    const second = failing("op-second");
    const scheduled = defineJob({
      name: "op-scheduled",
      schema: z.object({}),
      schedule: { id: "every-night", cron: "0 3 * * *" },
      handler: () => {},
    });
    const app = client([first, second, scheduled], schema);
    await app.schedules.sync();
    const elsewhere = failing("op-elsewhere");
    await client([elsewhere]).enqueue(elsewhere, { n: 9 });
    const a = await app.enqueue(first, { n: 1 });
    const b = await app.enqueue(second, { n: 2 });
    const operator = client([], schema);
    expect((await operator.schedules.list()).map((entry) => [entry.id, entry.job])).toEqual([
      ["every-night", scheduled.name],
    ]);
    // The schedule's next run is a delayed job.
    expect(await operator.counts()).toMatchObject({ waiting: 2, delayed: 1, failed: 0 });
    const waiting = await operator.list({ state: "waiting" });
    expect(waiting.jobs.map((snapshot) => snapshot.id)).toEqual([b.id, a.id]);

    const worker = app.work({ concurrency: 2 });
    open.unshift({ close: () => worker.stop() });
    await expect.poll(async () => (await operator.counts()).failed, { timeout: 20_000 }).toBe(2);
    expect((await operator.listFailed()).map((snapshot) => snapshot.id).sort()).toEqual([a.id, b.id].sort());
  });
});
