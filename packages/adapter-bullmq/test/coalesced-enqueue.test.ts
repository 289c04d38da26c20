import { defineJob } from "@switchyard/core";
import { Queue } from "bullmq";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { REDIS_URL } from "./redis-test-server.js";
import { TestClients } from "./test-client.js";

const clients = new TestClients();
afterEach(async () => {
  vi.restoreAllMocks();
  await clients.cleanup();
});

const CALLERS = 100;

describe("concurrent single enqueues are merged into bulk writes", () => {
  it(`${CALLERS} concurrent enqueue() calls: each gets its own job, in far fewer addBulk calls`, async () => {
    const job = defineJob({
      name: clients.name("coalesced"),
      schema: z.object({ n: z.number() }),
      handler: () => {},
    });
    const client = await clients.client([job]);
    await client.enqueue(job, { n: -1 }); // connected
    const add = vi.spyOn(Queue.prototype, "add");
    const addBulk = vi.spyOn(Queue.prototype, "addBulk");
    const results = await Promise.all(Array.from({ length: CALLERS }, (_, n) => client.enqueue(job, { n })));
    expect(add.mock.calls.length + addBulk.mock.calls.length).toBeLessThanOrEqual(CALLERS / 10);
    expect(new Set(results.map((result) => result.id)).size).toBe(CALLERS);
    // Each id is the job of its own call.
    const payloads = await Promise.all(results.map(async (result) => (await client.get(result.id))?.payload));
    expect(payloads).toEqual(results.map((_, n) => ({ n })));
  });

  it("a failed bulk write rejects exactly the enqueues it held; the others are stored", async () => {
    const job = defineJob({
      name: clients.name("refused"),
      schema: z.object({ n: z.number() }),
      handler: () => {},
    });
    const client = await clients.client([job]);
    await client.enqueue(job, { n: -1 });
    // Fault injection on the real BullMQ call: the bulk that holds job 37 fails without storing anything.
    const addBulk = Queue.prototype.addBulk;
    vi.spyOn(Queue.prototype, "addBulk").mockImplementation(function (this: Queue, jobs) {
      if (jobs.some((entry) => (entry.data as { n: number }).n === 37)) {
        return Promise.reject(new Error("bulk with job 37 refused"));
      }
      return addBulk.call(this, jobs);
    });
    const calls: Array<Promise<{ n: number; id?: string; error?: unknown }>> = [];
    for (let n = 0; n < CALLERS; n++) {
      if (n % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      calls.push(
        client.enqueue(job, { n }).then(
          (result) => ({ n, id: result.id }),
          (error: unknown) => ({ n, error }),
        ),
      );
    }
    const outcomes = await Promise.all(calls);
    const failed = outcomes.filter((outcome) => outcome.error !== undefined);
    const stored = outcomes.filter((outcome) => outcome.id !== undefined);
    expect(failed.map((outcome) => outcome.n)).toContain(37);
    expect(failed.length).toBeGreaterThan(1);
    expect(stored.length).toBeGreaterThan(0);
    expect(new Set(failed.map((outcome) => outcome.error)).size).toBe(1);
    for (const outcome of stored) {
      expect((await client.get(outcome.id!))?.payload).toEqual({ n: outcome.n });
    }
    const queue = new Queue(job.name, { connection: { url: REDIS_URL }, prefix: clients.prefixOf(client) });
    try {
      const waiting = await queue.getJobs(["waiting"], 0, -1);
      expect(waiting.map((entry) => (entry.data as { n: number }).n).sort((a, b) => a - b)).toEqual(
        [-1, ...stored.map((outcome) => outcome.n)].sort((a, b) => a - b),
      );
    } finally {
      await queue.close();
    }
  });
});
