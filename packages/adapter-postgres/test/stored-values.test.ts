import { randomBytes } from "node:crypto";
import { ConfigError, createSwitchyard, defineJob, type Switchyard, silentLogger } from "@switchyard/core";
import { Probe, waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { createTestDatabase } from "./test-database.js";

// A payload is stored and delivered as sent, whatever JSON value it is (graphile-worker's add_job and
// add_jobs turn SQL NULL into {}); values core refuses never reach the database.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: pg.Client;
const clients: Switchyard[] = [];

beforeAll(async () => {
  database = await createTestDatabase("values");
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

async function setup(
  jobs: Parameters<typeof createSwitchyard>[0]["jobs"],
): Promise<{ client: Switchyard; schema: string }> {
  const schema = `v_${randomBytes(4).toString("hex")}`;
  const backend = postgres({ connectionString: database.url, schema, pollInterval: 100 });
  await backend.migrate();
  const client = createSwitchyard({ backend, jobs, logger: silentLogger });
  clients.push(client);
  return { client, schema };
}

describe("payloads are stored and delivered as sent", () => {
  it("a z.null() job: null arrives as null, one by one and in a batch; a null result is kept", async () => {
    const probe = new Probe();
    const nothing = defineJob({
      name: "values.null",
      schema: z.null(),
      handler: (payload, ctx) => {
        probe.enter(payload, ctx)();
        return null;
      },
    });
    const { client } = await setup([nothing]);
    const one = await client.enqueue(nothing, null);
    const keyed = await client.enqueue(nothing, null, { idempotencyKey: "null-once" });
    const delayed = await client.enqueue(nothing, null, { delay: "50ms" });
    const batch = await client.enqueueMany(nothing, [null, null]);
    const ids = [one.id, keyed.id, delayed.id, ...batch.map((result) => result.id)];
    expect((await client.get(one.id))?.payload).toBeNull();
    const worker = client.work({ concurrency: 2 });
    await worker.ready;
    await waitFor(
      async () => {
        const states = await Promise.all(ids.map(async (id) => (await client.get(id))?.state));
        return states.every((state) => state === "completed");
      },
      { message: "every null job to complete" },
    );
    expect(probe.calls.map((call) => call.payload)).toEqual([null, null, null, null, null]);
    expect(await client.get(one.id)).toMatchObject({ state: "completed", result: null });
    await worker.stop();
  });

  it("numbers, strings, booleans and arrays at the top level arrive unchanged", async () => {
    const probe = new Probe();
    const anything = defineJob({
      name: "values.any",
      schema: z.unknown(),
      handler: (payload, ctx) => probe.enter(payload, ctx)(),
    });
    const { client, schema } = await setup([anything]);
    const payloads: unknown[] = [0, 42.5, "text", "", true, false, [], [1, "two", null], { nested: null }];
    const batch = await client.enqueueMany(anything, payloads);
    const single = [];
    for (const payload of payloads) single.push(await client.enqueue(anything, payload));
    const { rows } = await db.query(
      `select payload::text as payload from "${schema}"._private_jobs order by id`,
    );
    expect(rows.map((row) => JSON.parse(row.payload))).toEqual([...payloads, ...payloads]);
    const worker = client.work({ concurrency: 4 });
    await worker.ready;
    const ids = [...batch, ...single].map((result) => result.id);
    await waitFor(() => ids.every((id) => probe.callsFor(id).length === 1), { message: "every job to run" });
    expect(ids.map((id) => probe.callsFor(id)[0]!.payload)).toEqual([...payloads, ...payloads]);
    await worker.stop();
  });
});

describe("values core refuses never reach the database", () => {
  it("a NUL in an idempotency key, runAt near the largest Date, delay: 1e20: ConfigError, nothing stored", async () => {
    const job = defineJob({ name: "values.refused", schema: z.object({ n: z.number() }), handler: () => {} });
    const { client, schema } = await setup([job]);
    const attempts: Array<[string, () => Promise<unknown>, RegExp]> = [
      ["NUL key", () => client.enqueue(job, { n: 1 }, { idempotencyKey: "a\u0000b" }), /idempotency key/],
      ["largest Date", () => client.enqueue(job, { n: 2 }, { runAt: new Date(8.64e15) }), /runAt/],
      ["delay 1e20", () => client.enqueue(job, { n: 3 }, { delay: 1e20 }), /delay/],
      [
        "a batch with runAt near the largest Date",
        () => client.enqueueMany(job, [{ n: 4 }, { n: 5 }], { runAt: new Date(8.64e15) }),
        /runAt/,
      ],
    ];
    for (const [what, attempt, option] of attempts) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(error, what).toBeInstanceOf(ConfigError);
      expect((error as Error).message, what).toMatch(option);
    }
    const { rows } = await db.query(`select count(*)::int as n from "${schema}"._private_jobs`);
    expect(rows[0].n).toBe(0);
    const keys = await db.query(`select count(*)::int as n from "${schema}".switchyard_idempotency`);
    expect(keys.rows[0].n).toBe(0);
  });
});
