// A client with no jobs (the CLI, the dashboard) covers every job under its prefix.
import { createSwitchyard, defineJob, PermanentError, silentLogger } from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq } from "../src/index.js";
import { QUEUE_NAMES_TTL_MS, QueueNameCache } from "../src/queue-names.js";
import { REDIS_URL } from "./redis-test-server.js";
import { TestClients } from "./test-client.js";

const clients = new TestClients();
afterEach(() => clients.cleanup());

describe("a client with no jobs", () => {
  it("lists the failed jobs and schedules of every job under its prefix, and of no other prefix", async () => {
    const failing = defineJob({
      name: clients.name("fails"),
      schema: z.object({}),
      retry: { maxAttempts: 1 },
      handler: () => {
        throw new PermanentError("no");
      },
    });
    const scheduled = defineJob({
      name: clients.name("scheduled"),
      schema: z.object({}),
      schedule: { id: "every-night", cron: "0 3 * * *" },
      handler: () => {},
    });
    const app = await clients.client([failing, scheduled]);
    const other = await clients.client([failing]); // another prefix: out of sight
    await app.schedules.sync();
    const workers = [await clients.worker(app), await clients.worker(other)];
    const { id } = await app.enqueue(failing, {});
    const { id: otherId } = await other.enqueue(failing, {});
    for (const [client, failed] of [
      [app, id],
      [other, otherId],
    ] as const) {
      while ((await client.get(failed))?.state !== "failed")
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const worker of workers) await worker.stop();

    const operator = createSwitchyard({
      backend: bullmq({ url: REDIS_URL, prefix: clients.prefixOf(app) }),
      jobs: [],
      logger: silentLogger,
    });
    try {
      expect((await operator.listFailed()).map((job) => job.id)).toEqual([id]);
      expect((await operator.schedules.list()).map((entry) => [entry.id, entry.job])).toEqual([
        ["every-night", scheduled.name],
      ]);
      expect(await operator.retry(id)).toBe(true);
      expect(await operator.listFailed()).toEqual([]);
    } finally {
      await operator.close();
    }
  });
});

describe("an operator's client's queue names (one SCAN of the keyspace each)", () => {
  it("reuses the names it found, and counts a job named explicitly at once", async () => {
    const early = defineJob({ name: clients.name("early"), schema: z.object({}), handler: () => {} });
    const late = defineJob({ name: clients.name("late"), schema: z.object({}), handler: () => {} });
    const app = await clients.client([early, late]);
    await app.enqueue(early, {});
    const operator = createSwitchyard({
      backend: bullmq({ url: REDIS_URL, prefix: clients.prefixOf(app) }),
      jobs: [],
      logger: silentLogger,
    });
    try {
      expect((await operator.counts()).waiting).toBe(1);
      await app.enqueue(late, {});
      // A job named explicitly is found at once, its queue being looked up by name.
      expect((await operator.counts({ job: late.name })).waiting).toBe(1);
      // Without a job: the names found by the first call, for 30 s (queue-names.ts).
      expect((await operator.counts()).waiting).toBe(1);
      // A job never enqueued under the prefix has no queue: nothing, without a queue created for it.
      expect(await operator.counts({ job: clients.name("never") })).toMatchObject({ waiting: 0 });
      expect((await operator.list({ state: "waiting", job: clients.name("never") })).jobs).toEqual([]);
    } finally {
      await operator.close();
    }
  });

  it("are found once per period, shared by concurrent calls, and found again after it or a failure", async () => {
    let scans = 0;
    let fail = false;
    let found = ["a"];
    const cache = new QueueNameCache(async () => {
      scans++;
      if (fail) throw new Error("scan failed");
      return found;
    }, 60_000);
    expect(await Promise.all([cache.names(), cache.names()])).toEqual([["a"], ["a"]]);
    found = ["a", "b"];
    expect(await cache.names()).toEqual(["a"]);
    expect(scans).toBe(1);

    const expiring = new QueueNameCache(async () => {
      scans++;
      if (fail) throw new Error("scan failed");
      return found;
    }, 0);
    fail = true;
    await expect(expiring.names()).rejects.toThrow("scan failed");
    fail = false;
    expect(await expiring.names()).toEqual(["a", "b"]);
    expect(scans).toBe(3);
    expect(QUEUE_NAMES_TTL_MS).toBe(30_000);
  });
});
