import { ConfigError, defineJob } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { REDIS_URL } from "./redis-test-server.js";
import { TestClients } from "./test-client.js";
import { countJobs } from "./throwaway-redis.js";

const clients = new TestClients();
afterEach(() => clients.cleanup());

describe("payloads through BullMQ", () => {
  it("delivers null, falsy and non-object payloads exactly as enqueued, and get(id) shows them so", async () => {
    const received: unknown[] = [];
    const job = defineJob({
      name: clients.name("shapes"),
      schema: z.union([z.null(), z.number(), z.string(), z.boolean(), z.array(z.number())]),
      handler: (payload) => void received.push(payload),
    });
    const client = await clients.client([job]);
    await clients.worker(client, 1);
    const payloads = [null, 0, 42, "", "text", false, [], [1, 2]];
    for (const payload of payloads) {
      const { id } = await client.enqueue(job, payload);
      await waitFor(async () => (await client.get(id))?.state === "completed", {
        message: `${id} to complete`,
      });
      expect((await client.get(id))?.payload, JSON.stringify(payload)).toEqual(payload);
    }
    const [batchNull, batchZero] = await client.enqueueMany(job, [null, 0]);
    await waitFor(() => received.length === payloads.length + 2, { message: "the batch to run" });
    expect(received).toEqual([...payloads, null, 0]);
    expect((await client.get(batchNull!.id))?.payload).toBeNull();
    expect((await client.get(batchZero!.id))?.payload).toBe(0);
  });

  // Through the backend: core's resolveSchedule stores a schedule's `payload: null` as {} before the
  // adapter sees it (reported to core); the adapter must keep whatever payload it is given.
  it("keeps a schedule's null payload: listed as null and run with null", async () => {
    const received: unknown[] = [];
    const job = defineJob({
      name: clients.name("null-tick"),
      schema: z.null(),
      handler: (payload) => void received.push(payload),
    });
    const client = await clients.client([job]);
    await client.backend.upsertSchedule(
      { id: "null-tick", job: job.name, everyMs: 200, payload: null },
      { declared: false },
    );
    expect((await client.schedules.list()).map((entry) => entry.payload)).toEqual([null]);
    await clients.worker(client, 1);
    await waitFor(() => received.length > 0, { message: "a scheduled run" });
    expect(received[0]).toBeNull();
  });

  it("refuses a delay or runAt past core's range with a ConfigError, and stores nothing", async () => {
    const job = defineJob({ name: clients.name("far"), schema: z.object({}), handler: () => {} });
    const client = await clients.client([job]);
    await expect(client.enqueue(job, {}, { delay: 1e20 })).rejects.toThrow(ConfigError);
    await expect(client.enqueue(job, {}, { runAt: new Date(8.64e15) })).rejects.toThrow(ConfigError);
    await expect(client.enqueueMany(job, [{}, {}], { delay: "11000d" as never })).rejects.toThrow(
      ConfigError,
    );
    expect(await countJobs(REDIS_URL, clients.prefixOf(client), job.name)).toBe(0);
  });
});
