import { randomBytes } from "node:crypto";
import { ConfigError, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type PostgresOptions, postgres } from "../src/index.js";
import { createTestDatabase } from "./test-database.js";

// postgres() checks its options (a ConfigError naming the option, for plain JavaScript callers and config
// files), and every timer fed by a duration the user gives works past Node's 2^31-1 ms limit.

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase("options");
});

afterAll(async () => {
  await database?.drop();
});

/** What postgres() threw for `options` (a plain JavaScript caller: no types). */
function refusal(options: unknown): unknown {
  try {
    postgres(options as PostgresOptions);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("postgres() options", () => {
  const url = "postgres://postgres@127.0.0.1:5432/test";

  it("each bad option is a ConfigError naming it", () => {
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /exactly one of connectionString or pool/],
      [{}, /exactly one of connectionString or pool/],
      ["postgres://x", /options must be an object/],
      [{ connectionString: url, pool: {} }, /exactly one of connectionString or pool/],
      [{ connectionString: url, conectionTimeoutMillis: 5 }, /unknown option "conectionTimeoutMillis"/],
      [{ connectionString: "" }, /connectionString must be a non-empty string/],
      [{ connectionString: 42 }, /connectionString must be a non-empty string/],
      [{ connectionString: "not a url" }, /connectionString must be a valid URL such as postgres:/],
      [
        { connectionString: "postgres://host:port/db" },
        /connectionString must be a valid URL such as postgres:/,
      ],
      [
        { connectionString: "mysql://host/db" },
        /connectionString must be a postgres:\/\/ or postgresql:\/\/ URL/,
      ],
      [{ pool: { query: () => {} } }, /pool must be a pg Pool/],
      [{ connectionString: url, schema: "bad-name; drop" }, /schema must be a plain identifier/],
      [{ connectionString: url, schema: 5 }, /schema must be a plain identifier/],
      [{ connectionString: url, maxPoolSize: 0 }, /maxPoolSize must be an integer from 1/],
      [{ connectionString: url, maxPoolSize: 2.5 }, /maxPoolSize must be an integer/],
      [{ connectionString: url, pollInterval: 0 }, /pollInterval must be from 10 ms/],
      [{ connectionString: url, pollInterval: "30d" }, /pollInterval must be from 10 ms to 2147483647 ms/],
      [{ connectionString: url, pollInterval: "soon" }, /pollInterval must look like/],
      [{ connectionString: url, stalledAfter: "100ms" }, /stalledAfter must be at least 200 ms/],
      [{ connectionString: url, stalledAfter: "11y" }, /stalledAfter must look like/],
      [{ connectionString: url, idempotencyTtl: -1 }, /idempotencyTtl must be a non-negative number/],
      [{ connectionString: url, keepFinished: 1e20 }, /keepFinished must be at most 10 years/],
      [
        { connectionString: url, connectionTimeoutMillis: 2 ** 31 },
        /connectionTimeoutMillis must be an integer from 0 to 2147483647/,
      ],
      [
        { connectionString: url, connectionTimeoutMillis: "10s" },
        /connectionTimeoutMillis must be an integer/,
      ],
      [{ connectionString: url, migrate: "yes" }, /migrate must be true or false/],
      [{ connectionString: url, graphilePreset: [] }, /graphilePreset must be an object/],
    ];
    for (const [options, message] of cases) {
      const error = refusal(options);
      expect(error, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((error as Error).message, JSON.stringify(options)).toMatch(message);
      // One form for every refusal: the function, then the option.
      expect((error as Error).message, JSON.stringify(options)).toMatch(/^postgres\(\): /);
    }
  });

  it("every option accepts an explicit undefined (its default), and a socket directory or a full URL", () => {
    const env: Record<string, string | undefined> = { DATABASE_URL: url };
    const options: PostgresOptions = {
      connectionString: env.DATABASE_URL,
      pool: undefined,
      schema: env.SCHEMA,
      maxPoolSize: undefined,
      pollInterval: undefined,
      stalledAfter: undefined,
      idempotencyTtl: undefined,
      keepFinished: undefined,
      connectionTimeoutMillis: undefined,
      graphilePreset: undefined,
      migrate: undefined,
    };
    expect(postgres(options).schema).toBe("graphile_worker");
    expect(() => postgres({ connectionString: "/var/run/postgresql" })).not.toThrow();
    expect(() =>
      postgres({ connectionString: "postgresql://u:p%40ss@db.example:6432/app?sslmode=require" }),
    ).not.toThrow();
  });
});

describe("timers fed by user durations", () => {
  const numberPayload = z.object({ n: z.number() });

  it("stop({ timeout: '30d' }) waits for the running job instead of aborting it at once", async () => {
    let aborted = false;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const started: string[] = [];
    const job = defineJob({
      name: "long-stop",
      schema: numberPayload,
      handler: async (_payload, ctx) => {
        started.push(ctx.id);
        ctx.signal.addEventListener("abort", () => {
          aborted = true;
        });
        await finished;
      },
    });
    const schema = `o_${randomBytes(4).toString("hex")}`;
    const backend = postgres({ connectionString: database.url, schema, pollInterval: 100 });
    await backend.migrate();
    const client = createSwitchyard({ backend, jobs: [job], logger: silentLogger });
    try {
      const worker = client.work({ concurrency: 1 });
      await worker.ready;
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => started.includes(id), { message: "the job to start" });
      let stopped = false;
      const stopping = worker.stop({ timeout: "30d" }).then(() => {
        stopped = true;
      });
      // Node fires a timer longer than 2^31-1 ms after 1 ms: the job would be aborted at once.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(aborted).toBe(false);
      expect(stopped).toBe(false);
      finish();
      await stopping;
      expect(aborted).toBe(false);
      expect((await client.get(id))?.state).toBe("completed");
    } finally {
      finish();
      await client.close();
    }
  });

  it("stalledAfter: '3650d' heartbeats every quarter of it, not every millisecond", async () => {
    const job = defineJob({ name: "long-heartbeat", schema: numberPayload, handler: () => {} });
    const schema = `o_${randomBytes(4).toString("hex")}`;
    const backend = postgres({ connectionString: database.url, schema, stalledAfter: "3650d" });
    await backend.migrate();
    const client = createSwitchyard({ backend, jobs: [job], logger: silentLogger });
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const worker = client.work({ concurrency: 1 });
      await worker.ready;
      const heartbeat = async () =>
        (await db.query(`select heartbeat_at::text as at from "${schema}".switchyard_workers`)).rows.map(
          (row) => row.at as string,
        );
      const first = await heartbeat();
      expect(first).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await heartbeat()).toEqual(first);
      await worker.stop();
    } finally {
      await db.end();
      await client.close();
    }
  });
});
