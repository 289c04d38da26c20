// A client with no jobs (the CLI, the dashboard) covers every job under its prefix.
import { createSwitchyard, defineJob, PermanentError, silentLogger } from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq } from "../src/index.js";
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
