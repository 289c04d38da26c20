import { createSwitchyard, defineJob, type Switchyard, silentLogger, type Worker } from "@switchyard/core";
import { Probe, sleep, waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueueInTransaction, enqueueManyInTransaction, postgres } from "../src/index.js";
import { HARNESS_OPTIONS } from "./postgres-harness.js";
import { createTestDatabase } from "./test-database.js";

// Transactional enqueue: a job enqueued with the application's own pg client inside its transaction
// exists only if that transaction commits. Workers run while the transaction is open, to show they
// cannot see the job before the commit.

const orderPayload = z.object({ orderId: z.number().int() });

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let app: pg.Pool;
let jobs: Switchyard;
let worker: Worker;
const probe = new Probe();
const receipt = defineJob({
  name: "orders.receipt",
  schema: orderPayload,
  handler: (payload, ctx) => {
    probe.enter(payload, ctx)();
    return { sent: payload.orderId };
  },
});

beforeAll(async () => {
  database = await createTestDatabase("tx");
  app = new pg.Pool({ connectionString: database.url, max: 4 });
  app.on("error", () => {}); // an idle connection ended by the database's drop at the end
  await app.query("create table orders (id int primary key)");
  const backend = postgres({ connectionString: database.url, schema: "jobs", ...HARNESS_OPTIONS });
  await backend.migrate();
  jobs = createSwitchyard({ backend, jobs: [receipt], logger: silentLogger });
  worker = jobs.work({ concurrency: 4 });
  await worker.ready;
});

afterAll(async () => {
  await worker?.stop();
  await jobs?.close();
  await app?.end();
  await database?.drop();
});

beforeEach(() => {
  probe.calls.length = 0;
});

async function inTransaction<T>(body: (client: pg.PoolClient) => Promise<T>, end: "commit" | "rollback") {
  const client = await app.connect();
  try {
    await client.query("begin");
    const result = await body(client);
    await client.query(end);
    return result;
  } finally {
    client.release();
  }
}

describe("enqueueInTransaction", () => {
  it("commit: the job is invisible and does not run until the transaction commits, then it runs", async () => {
    const client = await app.connect();
    try {
      await client.query("begin");
      await client.query("insert into orders (id) values (1)");
      const { id, deduplicated } = await enqueueInTransaction(jobs, client, receipt, { orderId: 1 });
      expect(deduplicated).toBe(false);
      // Other connections (the client's pool, the workers) do not see it yet.
      expect(await jobs.get(id)).toBeUndefined();
      await sleep(800);
      expect(probe.calls).toHaveLength(0);
      await client.query("commit");
      await waitFor(() => probe.calls.length === 1, { message: "the committed job to run" });
      expect(probe.calls[0]).toMatchObject({ id, payload: { orderId: 1 } });
      const done = await waitFor(async () => {
        const snapshot = await jobs.get(id);
        return snapshot?.state === "completed" && snapshot;
      });
      expect(done.result).toEqual({ sent: 1 });
      expect((await app.query("select id from orders")).rows).toEqual([{ id: 1 }]);
    } finally {
      client.release();
    }
  });

  it("rollback: the job never exists and never runs, and its idempotency key is free again", async () => {
    const { id } = await inTransaction(async (client) => {
      await client.query("insert into orders (id) values (2)");
      return enqueueInTransaction(jobs, client, receipt, { orderId: 2 }, { idempotencyKey: "order-2" });
    }, "rollback");
    expect(await jobs.get(id)).toBeUndefined();
    await sleep(1_200);
    expect(probe.calls).toHaveLength(0);
    expect((await app.query("select id from orders where id = 2")).rows).toEqual([]);
    // The key was claimed only inside the rolled-back transaction.
    const again = await jobs.enqueue(receipt, { orderId: 2 }, { idempotencyKey: "order-2" });
    expect(again.deduplicated).toBe(false);
    expect(again.id).not.toBe(id);
    await waitFor(() => probe.calls.length === 1, { message: "the job enqueued after the rollback to run" });
    expect(probe.calls[0]?.id).toBe(again.id);
  });

  it("enqueueManyInTransaction: all jobs appear at commit, none after a rollback", async () => {
    const rolledBack = await inTransaction(
      (client) => enqueueManyInTransaction(jobs, client, receipt, [{ orderId: 10 }, { orderId: 11 }]),
      "rollback",
    );
    const committed = await inTransaction(
      (client) => enqueueManyInTransaction(jobs, client, receipt, [{ orderId: 20 }, { orderId: 21 }]),
      "commit",
    );
    await waitFor(() => probe.calls.length === 2, { message: "the two committed jobs to run" });
    await sleep(500);
    expect(new Set(probe.calls.map((call) => call.id))).toEqual(new Set(committed.map((r) => r.id)));
    for (const { id } of rolledBack) expect(await jobs.get(id)).toBeUndefined();
  });

  it("a delayed job enqueued in a transaction runs at its time after the commit", async () => {
    const enqueuedAt = Date.now();
    const { id } = await inTransaction(
      (client) => enqueueInTransaction(jobs, client, receipt, { orderId: 30 }, { delay: "1s" }),
      "commit",
    );
    expect((await jobs.get(id))?.state).toBe("delayed");
    await waitFor(() => probe.calls.length === 1, { message: "the delayed job to run" });
    const waited = probe.calls[0]!.at - enqueuedAt;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(2_500);
  });

  it("a bad payload is refused before any statement, and the caller's transaction goes on", async () => {
    const outcome = await inTransaction(async (client) => {
      const error = await enqueueInTransaction(jobs, client, receipt, {
        orderId: "forty" as unknown as number,
      }).catch((caught: unknown) => caught);
      await client.query("insert into orders (id) values (40)");
      return error as { code?: string };
    }, "commit");
    expect(outcome.code).toBe("SWITCHYARD_VALIDATION");
    expect((await app.query("select id from orders where id = 40")).rows).toEqual([{ id: 40 }]);
  });

  it("refuses a client of another backend, and a value that is not a pg client", async () => {
    const memoryJobs = createSwitchyard({ jobs: [receipt], logger: silentLogger });
    const client = await app.connect();
    try {
      await expect(enqueueInTransaction(memoryJobs, client, receipt, { orderId: 1 })).rejects.toMatchObject({
        code: "SWITCHYARD_CONFIG",
      });
      await expect(
        enqueueInTransaction(jobs, {} as unknown as pg.PoolClient, receipt, { orderId: 1 }),
      ).rejects.toMatchObject({ code: "SWITCHYARD_CONFIG" });
    } finally {
      client.release();
      await memoryJobs.close();
    }
  });
});
