import { randomBytes } from "node:crypto";
import { BACKEND_PACKAGES, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as adapter from "../src/index.js";
import { deleteKeys, REDIS_URL } from "./redis-test-server.js";

describe("fromEnv", () => {
  it("is what SWITCHYARD_BACKEND=bullmq loads, and builds the backend without connecting", async () => {
    expect(BACKEND_PACKAGES.bullmq).toBe("@switchyard/adapter-bullmq");
    const backend = adapter.fromEnv({});
    expect(backend.capabilities).toBe(adapter.bullmqCapabilities);
    await backend.close(); // nothing was connected: returns at once
  });

  it("is what SWITCHYARD_BACKEND=bullmq-postgres loads: BullMQ on PostgreSQL, without connecting", async () => {
    expect(BACKEND_PACKAGES["bullmq-postgres"]).toBe("@switchyard/adapter-bullmq");
    const backend = adapter.fromEnv({
      SWITCHYARD_BACKEND: "bullmq-postgres",
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      SWITCHYARD_BULLMQ_SCHEMA: "jobs",
    });
    expect(backend.capabilities).toBe(adapter.bullmqPostgresCapabilities);
    await backend.close();
  });

  it("uses REDIS_URL and SWITCHYARD_BULLMQ_PREFIX", async () => {
    const prefix = `sy-env-${randomBytes(3).toString("hex")}`;
    const job = defineJob({ name: "env.job", schema: z.object({ n: z.number() }), handler: () => {} });
    const client = createSwitchyard({
      backend: adapter.fromEnv({ REDIS_URL, SWITCHYARD_BULLMQ_PREFIX: prefix }),
      jobs: [job],
      logger: silentLogger,
    });
    const redis = new Redis(REDIS_URL);
    try {
      const { id } = await client.enqueue(job, { n: 1 });
      expect(id).toMatch(/^env\.job:/);
      expect(await redis.exists(`${prefix}:env.job:${id.slice("env.job:".length)}`)).toBe(1);
    } finally {
      await client.close();
      redis.disconnect();
      await deleteKeys(`${prefix}:*`);
    }
  });
});
