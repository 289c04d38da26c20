import { defineJob, PermanentError, type Switchyard } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { REDIS_URL } from "./redis-test-server.js";
import { TestClients } from "./test-client.js";

const empty = z.object({});
const clients = new TestClients();
const redis = new Redis(REDIS_URL);
afterEach(() => clients.cleanup());
afterAll(() => redis.quit());

async function until(client: Switchyard, id: string, state: string) {
  return waitFor(
    async () => {
      const snapshot = await client.get(id);
      return snapshot?.state === state && snapshot;
    },
    { message: `job ${id} to be ${state}`, timeoutMs: 20_000 },
  );
}

/** The Redis key of a job's BullMQ hash, from its Switchyard id (`<queue>:<BullMQ id>`). */
function jobKey(client: Switchyard, id: string): string {
  return `${clients.prefixOf(client)}:${id}`;
}

/** Every key under the client's prefix that still holds a step of some job. */
async function keysHoldingSteps(client: Switchyard): Promise<string[]> {
  const keys = await redis.keys(`${clients.prefixOf(client)}:*`);
  const holding: string[] = [];
  for (const key of keys) {
    if ((await redis.type(key)) !== "hash") continue;
    if ((await redis.hkeys(key)).some((field) => field.startsWith("sy:step:"))) holding.push(key);
  }
  return holding;
}

describe("durable steps on BullMQ", () => {
  it("keeps each step as a field of the job's own hash, so removing the job (cancel, retention) removes its steps", async () => {
    const sleeper = defineJob({
      name: clients.name("steps-kept"),
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.run("a", () => 1);
        await ctx.step.run("b", () => ({ label: "x" }));
        await ctx.step.sleep("nap", "1h");
      },
    });
    const quick = defineJob({
      name: clients.name("steps-retention"),
      schema: empty,
      handler: async (_p, ctx) => ctx.step.run("only", () => "done"),
    });
    const client = await clients.client([sleeper, quick], { removeOnComplete: true });
    await clients.worker(client);

    const { id } = await client.enqueue(sleeper, {});
    const sleeping = await until(client, id, "delayed");
    expect(sleeping.steps).toEqual(["a", "b", "nap"]);
    const fields = await redis.hkeys(jobKey(client, id));
    expect(fields.filter((field) => field.startsWith("sy:step:")).sort()).toEqual([
      "sy:step:a",
      "sy:step:b",
      "sy:step:nap",
    ]);
    expect(await keysHoldingSteps(client)).toEqual([jobKey(client, id)]);
    expect(await client.cancel(id)).toBe(true);
    expect(await redis.exists(jobKey(client, id))).toBe(0);

    const done = await client.enqueue(quick, {});
    await waitFor(async () => (await redis.exists(jobKey(client, done.id))) === 0, {
      message: "removeOnComplete to remove the completed job",
    });
    expect(await keysHoldingSteps(client)).toEqual([]);
  });

  it("does not count sleeps as attempts: each attempt sleeps, and the job fails after exactly maxAttempts", async () => {
    const seen: number[] = [];
    const job = defineJob({
      name: clients.name("sleep-budget"),
      schema: empty,
      retry: { maxAttempts: 2, backoff: { type: "fixed", delay: "50ms" } },
      handler: async (_p, ctx) => {
        seen.push(ctx.attempt);
        await ctx.step.sleep(`nap-${ctx.attempt}`, "200ms");
        throw new Error(`fails after its sleep, attempt ${ctx.attempt}`);
      },
    });
    const client = await clients.client([job]);
    await clients.worker(client);
    const { id } = await client.enqueue(job, {});
    const failed = await until(client, id, "failed");
    expect(seen).toEqual([1, 1, 2, 2]);
    expect(failed.attempts).toBe(2);
    expect(failed.error?.message).toBe("fails after its sleep, attempt 2");
    expect(failed.steps).toEqual(["nap-1", "nap-2"]);
  });

  it("shows the due time of any delayed job, a retry's backoff included, read from BullMQ's delayed set", async () => {
    let failedAt = 0;
    const job = defineJob({
      name: clients.name("retry-due"),
      schema: empty,
      retry: { maxAttempts: 2, backoff: { type: "fixed", delay: "30s" } },
      handler: () => {
        failedAt = Date.now();
        throw new Error("try again in 30 s");
      },
    });
    const client = await clients.client([job]);
    await clients.worker(client);
    const { id } = await client.enqueue(job, {});
    const retrying = await until(client, id, "delayed");
    expect(retrying.attempts).toBe(1);
    const dueIn = (retrying.runAt?.getTime() ?? 0) - failedAt;
    expect(dueIn, `due ${dueIn} ms after the failure`).toBeGreaterThanOrEqual(29_000);
    expect(dueIn, `due ${dueIn} ms after the failure`).toBeLessThanOrEqual(31_000);
  });

  it("replays completed steps when a failed job is retried with client.retry()", async () => {
    let charged = 0;
    let allow = false;
    const job = defineJob({
      name: clients.name("manual-retry"),
      schema: empty,
      retry: { maxAttempts: 1 },
      handler: async (_p, ctx) => {
        const receipt = await ctx.step.run("charge", () => `receipt-${++charged}`);
        if (!allow) throw new PermanentError("shipping refused");
        return receipt;
      },
    });
    const client = await clients.client([job]);
    await clients.worker(client);
    const { id } = await client.enqueue(job, {});
    await until(client, id, "failed");
    allow = true;
    expect(await client.retry(id)).toBe(true);
    const done = await until(client, id, "completed");
    expect(done.result).toBe("receipt-1");
    expect(charged).toBe(1);
  });

  it("stores no step for a worker that lost the job's lock", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const outcome: string[] = [];
    const job = defineJob({
      name: clients.name("lost-lock"),
      schema: empty,
      retry: { maxAttempts: 1 },
      handler: async (_p, ctx) => {
        await ctx.step.run("before", () => outcome.push("before"));
        await gate;
        try {
          await ctx.step.run("after", () => outcome.push("after ran"));
        } catch (error) {
          outcome.push((error as Error).message);
        }
      },
    });
    const client = await clients.client([job]);
    await clients.worker(client);
    const { id } = await client.enqueue(job, {});
    await waitFor(() => outcome.length === 1, { message: "the first step" });
    await redis.del(`${jobKey(client, id)}:lock`); // as if it expired and another worker took it
    release();
    await waitFor(() => outcome.length === 3, { message: "the second step to be refused" });
    expect(outcome[1]).toBe("after ran");
    expect(outcome[2]).toMatch(
      /step "after" of job .* was not stored: this worker no longer holds the job's lock/,
    );
    expect(await redis.hexists(jobKey(client, id), "sy:step:before")).toBe(1);
    expect(await redis.hexists(jobKey(client, id), "sy:step:after")).toBe(0);
  });
});
