import { randomBytes } from "node:crypto";
import {
  BackendUnavailableError,
  createSwitchyard,
  defineJob,
  type Switchyard,
  silentLogger,
} from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { createTestDatabase } from "./test-database.js";

// Every situation in which PostgreSQL cannot be reached or refuses the connection is core's
// BackendUnavailableError("postgres", ...) with the driver's error as cause, for every operation; an
// enqueue's error says whether the job may have been stored.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: pg.Client;
const clients: Switchyard[] = [];

beforeAll(async () => {
  database = await createTestDatabase("unavailable");
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

const job = defineJob({
  name: "unavailable.job",
  schema: z.object({ n: z.number() }),
  idempotencyKey: (payload) => `key-${payload.n}`,
  handler: () => {},
});
const unkeyed = defineJob({
  name: "unavailable.unkeyed",
  schema: z.object({ n: z.number() }),
  handler: () => {},
});

function clientFor(connectionString: string, schema?: string): Switchyard {
  const client = createSwitchyard({
    backend: postgres({ connectionString, schema, connectionTimeoutMillis: 3_000 }),
    jobs: [job, unkeyed],
    logger: silentLogger,
  });
  clients.push(client);
  return client;
}

function urlWith(change: (url: URL) => void): string {
  const url = new URL(database.url);
  change(url);
  return url.toString();
}

const SITUATIONS: Record<string, { url: () => string; cause: { code: string } }> = {
  "connection refused (closed port)": {
    url: () => "postgres://postgres@127.0.0.1:1/test",
    cause: { code: "ECONNREFUSED" },
  },
  "DNS failure": {
    url: () => "postgres://postgres@sy-no-such-host.invalid:5432/test",
    cause: { code: "ENOTFOUND" },
  },
  "missing database (3D000)": {
    url: () =>
      urlWith((url) => {
        url.pathname = "/sy_no_such_database";
      }),
    cause: { code: "3D000" },
  },
  "unknown role (28000)": {
    url: () =>
      urlWith((url) => {
        url.username = "sy_no_such_role";
      }),
    cause: { code: "28000" },
  },
};

describe("an unreachable or refusing PostgreSQL", () => {
  for (const [situation, { url, cause }] of Object.entries(SITUATIONS)) {
    it(`${situation}: enqueue, get and cancel throw BackendUnavailableError; the enqueue says stored "no"`, async () => {
      const client = clientFor(url());
      for (const [operation, attempt] of [
        ["enqueue", () => client.enqueue(job, { n: 1 })],
        ["get", () => client.get("1")],
        ["cancel", () => client.cancel("1")],
      ] as const) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(error, operation).toBeInstanceOf(BackendUnavailableError);
        expect(error, operation).toMatchObject({
          code: "SWITCHYARD_BACKEND_UNAVAILABLE",
          backend: "postgres",
          stored: "no",
          cause,
        });
      }
    });
  }
});

describe("whether a failed enqueue stored its job", () => {
  /** A client on a fresh schema whose connections carry `application_name`, to find them in pg_stat_activity. */
  async function setup(): Promise<{ client: Switchyard; schema: string; application: string }> {
    const schema = `u_${randomBytes(4).toString("hex")}`;
    const application = `sy_inflight_${randomBytes(4).toString("hex")}`;
    const url = urlWith((u) => u.searchParams.set("application_name", application));
    await postgres({ connectionString: url, schema }).migrate();
    return { client: clientFor(url, schema), schema, application };
  }

  /**
   * Runs `enqueue` while the jobs table is locked, so that its statement waits in the server, then
   * terminates that connection (as a server restart would cut it) and returns what the enqueue threw.
   */
  async function cutWhileInFlight(
    schema: string,
    application: string,
    enqueue: () => Promise<unknown>,
  ): Promise<unknown> {
    await db.query("begin");
    try {
      await db.query(`lock table "${schema}"._private_jobs in access exclusive mode`);
      const outcome = enqueue().catch((caught: unknown) => caught);
      const pid = await waitFor(
        async () => {
          // Inside a transaction, pg_stat_activity is a snapshot taken at its first read.
          await db.query("select pg_stat_clear_snapshot()");
          const { rows } = await db.query<{ pid: number }>(
            `select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
            [application],
          );
          return rows[0]?.pid;
        },
        { message: "the enqueue to wait for the lock" },
      );
      await db.query("select pg_terminate_backend($1)", [pid]);
      return await outcome;
    } finally {
      await db.query("rollback");
    }
  }

  it('the statement was sent and its connection cut before the answer: stored "unknown"', async () => {
    const { client, schema, application } = await setup();
    const keyed = await cutWhileInFlight(schema, application, () => client.enqueue(job, { n: 1 }));
    expect(keyed).toBeInstanceOf(BackendUnavailableError);
    expect(keyed).toMatchObject({ backend: "postgres", stored: "unknown", cause: { code: "57P01" } });
    const bulk = await cutWhileInFlight(schema, application, () =>
      client.enqueueMany(unkeyed, [{ n: 1 }, { n: 2 }]),
    );
    expect(bulk).toMatchObject({ backend: "postgres", stored: "unknown", cause: { code: "57P01" } });
    // Retrying with the same idempotency key is safe: one job, whatever the first try did.
    const first = await client.enqueue(job, { n: 1 });
    const again = await client.enqueue(job, { n: 1 });
    expect(again).toEqual({ id: first.id, deduplicated: true });
  });

  it('a batch of keyed jobs cut before its COMMIT was sent: stored "no" (the transaction cannot commit)', async () => {
    const { client, schema, application } = await setup();
    const error = await cutWhileInFlight(schema, application, () =>
      client.enqueueMany(job, [{ n: 1 }, { n: 2 }]),
    );
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ backend: "postgres", stored: "no", cause: { code: "57P01" } });
    const { rows } = await db.query(`select count(*)::int as n from "${schema}"._private_jobs`);
    expect(rows[0].n).toBe(0);
  });
});
