// One job per tick on the backends with a server: BullMQ (Redis) and PostgreSQL, real servers.
import { randomBytes } from "node:crypto";
import { bullmq } from "@switchyard/adapter-bullmq";
import { postgres } from "@switchyard/adapter-postgres";
import { type Backend, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { Redis } from "ioredis";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { vercelCron } from "../src/index.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SECRET = "cron-secret-for-backends";

const backends: Array<{ name: string; open(): Promise<{ backend: Backend; cleanup(): Promise<void> }> }> = [
  {
    name: "bullmq",
    async open() {
      const prefix = `sy-vercel-cron-${randomBytes(4).toString("hex")}`;
      return {
        backend: bullmq({ url: REDIS_URL, prefix }),
        async cleanup() {
          const redis = new Redis(REDIS_URL);
          const keys = await redis.keys(`${prefix}:*`);
          if (keys.length > 0) await redis.unlink(...keys);
          redis.disconnect();
        },
      };
    },
  },
  {
    name: "postgres",
    async open() {
      const schema = `sy_vercel_cron_${randomBytes(4).toString("hex")}`;
      return {
        backend: postgres({ connectionString: DATABASE_URL, schema }),
        async cleanup() {
          const db = new pg.Client({ connectionString: DATABASE_URL });
          await db.connect();
          await db.query(`drop schema if exists "${schema}" cascade`);
          await db.end();
        },
      };
    },
  },
];

const report = defineJob({
  name: "report",
  schema: z.object({ kind: z.string() }),
  schedule: { id: "hourly", cron: "0 * * * *", payload: { kind: "hourly" } },
  handler: () => {},
});

describe.each(backends)("vercelCron() on $name", ({ open }) => {
  it("enqueues exactly once per tick, however many calls the tick gets, at once or later", async () => {
    const { backend, cleanup } = await open();
    const client = createSwitchyard({ backend, jobs: [report], logger: silentLogger });
    try {
      let now = new Date("2026-12-06T10:00:02Z");
      const handle = vercelCron(client, [report], { secret: SECRET, now: () => now });
      const call = async () =>
        (
          await handle(
            new Request("https://app.example/api/cron/hourly", {
              headers: { authorization: `Bearer ${SECRET}` },
            }),
          )
        ).json();

      const burst = await Promise.all([call(), call(), call(), call()]);
      expect(burst.filter((body) => body.deduplicated === false)).toHaveLength(1);
      expect(new Set(burst.map((body) => body.id)).size).toBe(1);

      now = new Date("2026-12-06T10:58:30Z"); // late in the same tick (90 s before the next: not skew)
      const late = await call();
      expect(late).toMatchObject({ id: burst[0].id, deduplicated: true });

      now = new Date("2026-12-06T11:00:00Z"); // the next tick
      const next = await call();
      expect(next).toMatchObject({ deduplicated: false, tick: "2026-12-06T11:00:00.000Z" });
      expect(next.id).not.toBe(burst[0].id);

      const first = await client.get(burst[0].id);
      expect(first).toMatchObject({ name: "report", payload: { kind: "hourly" }, state: "waiting" });

      const refused = await handle(new Request("https://app.example/api/cron/hourly"));
      expect(refused.status).toBe(401);
    } finally {
      await client.close();
      await cleanup();
    }
  });
});
