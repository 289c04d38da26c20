import { BackendUnavailableError, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type BullmqPostgresWorker, bullmq } from "../src/index.js";
import { createBullmqTestDatabase } from "./postgres-harness.js";

let database: Awaited<ReturnType<typeof createBullmqTestDatabase>>;

beforeAll(async () => {
  database = await createBullmqTestDatabase("unit");
});

afterAll(async () => {
  await database?.drop();
});

/** Connections open to the test database now, by any client. */
async function connectionsToDatabase(): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const name = new URL(database.url).pathname.slice(1);
    const { rows } = await client.query(
      "select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
      [name],
    );
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}

describe("bullmq({ postgres })", () => {
  it("shares one pool between the queues of all jobs: many jobs enqueued at once hold at most maxConnections", async () => {
    const jobs = Array.from({ length: 8 }, (_, index) =>
      defineJob({ name: `pool-${index}`, schema: z.object({ n: z.number() }), handler() {} }),
    );
    const client = createSwitchyard({
      backend: bullmq({ postgres: { connectionString: database.url, schema: "pool", maxConnections: 2 } }),
      jobs,
      logger: silentLogger,
    });
    try {
      await Promise.all(jobs.flatMap((job) => [1, 2, 3].map((n) => client.enqueue(job, { n }))));
      expect(await connectionsToDatabase()).toBeLessThanOrEqual(2);
    } finally {
      await client.close();
    }
  });

  it("cancel(id) of a running job aborts its signal over NOTIFY; the job ends cancelled, not retried", async () => {
    let started = 0;
    const job = defineJob({
      name: "long",
      schema: z.object({}),
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
      handler: (_payload, ctx) =>
        new Promise((_resolve, reject) => {
          started++;
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
        }),
    });
    const client = createSwitchyard({
      backend: bullmq({ postgres: { connectionString: database.url, schema: "cancel" } }),
      jobs: [job],
      logger: silentLogger,
    });
    const worker = client.work({ concurrency: 1 });
    try {
      await worker.ready;
      const { id } = await client.enqueue(job, {});
      await expect.poll(() => started, { timeout: 10_000 }).toBe(1);
      expect(await client.cancel(id)).toBe(true);
      await expect.poll(async () => (await client.get(id))?.state, { timeout: 10_000 }).toBe("cancelled");
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(started, "not retried").toBe(1);
    } finally {
      await worker.stop();
      await client.close();
    }
  });

  it("a job cancelled while its worker was dead is not run again: the next worker finds the mark", async () => {
    let started = 0;
    const job = defineJob({
      name: "abandoned",
      schema: z.object({}),
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
      handler: () =>
        new Promise(() => {
          started++;
        }),
    });
    const open = () =>
      createSwitchyard({
        backend: bullmq({
          postgres: { connectionString: database.url, schema: "abandoned" },
          lockDuration: "1s",
          stalledInterval: "500ms",
        }),
        jobs: [job],
        logger: silentLogger,
      });
    const first = open();
    const crashed = first.work({ concurrency: 1 }) as BullmqPostgresWorker;
    const second = open();
    try {
      await crashed.ready;
      const { id } = await first.enqueue(job, {});
      await expect.poll(() => started, { timeout: 10_000 }).toBe(1);
      await crashed.crash(); // its job stays active, locked, until the lock expires
      expect(await second.cancel(id)).toBe(true);
      const worker = second.work({ concurrency: 1 });
      await worker.ready;
      await expect.poll(async () => (await second.get(id))?.state, { timeout: 15_000 }).toBe("cancelled");
      expect(started, "the handler did not run again").toBe(1);
      await worker.stop();
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("with migrate: false on a schema BullMQ never migrated, a call fails with BullMQ's error saying so", async () => {
    const job = defineJob({ name: "nomigrate", schema: z.object({}), handler() {} });
    const client = createSwitchyard({
      backend: bullmq({
        postgres: { connectionString: database.url, schema: "never_migrated", migrate: false },
      }),
      jobs: [job],
      logger: silentLogger,
    });
    try {
      await expect(client.enqueue(job, {})).rejects.toThrow(/schema "never_migrated" is not initialized/);
    } finally {
      await client.close();
    }
  });

  it("a server that does not answer fails a call with BackendUnavailableError, stored no, within commandTimeout", async () => {
    const job = defineJob({ name: "unreachable", schema: z.object({}), handler() {} });
    const client = createSwitchyard({
      backend: bullmq({
        postgres: { connectionString: "postgres://postgres@127.0.0.1:1/none" },
        commandTimeout: "1s",
      }),
      jobs: [job],
      logger: silentLogger,
    });
    try {
      const error = await client.enqueue(job, {}).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackendUnavailableError);
      expect((error as BackendUnavailableError).stored).toBe("no");
    } finally {
      await client.close();
    }
  });

  it("a worker started while the server does not answer rejects ready with BackendUnavailableError (no waiting it out)", async () => {
    const job = defineJob({ name: "unreachable-worker", schema: z.object({}), handler() {} });
    const client = createSwitchyard({
      backend: bullmq({
        postgres: { connectionString: "postgres://postgres@127.0.0.1:1/none" },
        commandTimeout: "1s",
      }),
      jobs: [job],
      logger: silentLogger,
    });
    try {
      const error = await client.work().ready.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackendUnavailableError);
      expect((error as Error).message).toMatch(/PostgreSQL is unavailable/);
    } finally {
      await client.close();
    }
  });
});
