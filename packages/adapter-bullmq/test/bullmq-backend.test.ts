import { defineJob } from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { REDIS_URL } from "./redis-test-server.js";
import { TestClients } from "./test-client.js";

const numberPayload = z.object({ n: z.number() });
const clients = new TestClients();
afterEach(() => clients.cleanup());

/** Waits until `get(id)` shows `state`, and returns the snapshot. */
async function until(client: Awaited<ReturnType<TestClients["client"]>>, id: string, state: string) {
  return waitFor(
    async () => {
      const snapshot = await client.get(id);
      return snapshot?.state === state && snapshot;
    },
    { message: `job ${id} to be ${state}`, timeoutMs: 20_000 },
  );
}

describe("bullmq backend", () => {
  it("fails a stored payload of an old shape permanently with the schema issues, and keeps running", async () => {
    const seen: unknown[] = [];
    const name = clients.name("email");
    const job = defineJob({
      name,
      schema: z.object({ to: z.email() }),
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
      handler: (payload) => void seen.push(payload),
    });
    const client = await clients.client([job]);
    // An older deploy enqueued this job with another payload shape.
    const raw = new Queue(name, { connection: new Redis(REDIS_URL), prefix: clients.prefixOf(client) });
    const stale = await raw.add(name, { email: "ada@example.com" }, { attempts: 3 });
    await raw.close();
    await clients.worker(client);
    const failed = await until(client, `${name}:${stale.id}`, "failed");
    expect(failed.error?.code).toBe("SWITCHYARD_VALIDATION");
    expect(failed.error?.message).toContain("to");
    expect(failed.attempts).toBe(1);
    const good = await client.enqueue(job, { to: "ada@example.com" });
    await until(client, good.id, "completed");
    expect(seen).toEqual([{ to: "ada@example.com" }]);
  });

  it("keeps a handler error's code, and counts every attempt", async () => {
    const job = defineJob({
      name: clients.name("coded"),
      schema: numberPayload,
      retry: { maxAttempts: 2, backoff: { type: "fixed", delay: "50ms" } },
      handler: () => {
        throw Object.assign(new Error("downstream said no"), { code: "E_DOWNSTREAM" });
      },
    });
    const client = await clients.client([job]);
    await clients.worker(client);
    const { id } = await client.enqueue(job, { n: 1 });
    const failed = await until(client, id, "failed");
    expect(failed.error).toEqual({ message: "downstream said no", code: "E_DOWNSTREAM" });
    expect(failed.attempts).toBe(2);
    expect(failed.finishedAt).toBeInstanceOf(Date);
  });

  it("keeps any error code as thrown (not only identifiers), a BullMQ control name too, and none for a thrown non-error", async () => {
    const thrown: Record<number, unknown> = {
      1: Object.assign(new Error("upstream refused"), { code: "42" }),
      2: Object.assign(new Error("upstream refused"), { code: "rate limited: try later" }),
      3: Object.assign(new Error("upstream refused"), { code: "DelayedError" }),
      4: "a plain string",
    };
    const job = defineJob({
      name: clients.name("codes"),
      schema: numberPayload,
      retry: { maxAttempts: 1 },
      handler: (payload) => {
        throw thrown[payload.n];
      },
    });
    const client = await clients.client([job]);
    await clients.worker(client);
    const expected: Record<number, object> = {
      1: { message: "upstream refused", code: "42" },
      2: { message: "upstream refused", code: "rate limited: try later" },
      3: { message: "upstream refused", code: "DelayedError" },
      4: { message: "a plain string" },
    };
    for (const n of [1, 2, 3, 4]) {
      const { id } = await client.enqueue(job, { n });
      const failed = await until(client, id, "failed");
      expect(failed.error, `error ${n}`).toEqual(expected[n]);
    }
  });

  it("reads back results, including falsy ones, and no result for a handler that returns nothing", async () => {
    const results: Record<number, unknown> = { 1: 0, 2: false, 3: "", 4: undefined, 5: [1, { a: null }] };
    const job = defineJob({
      name: clients.name("results"),
      schema: numberPayload,
      handler: (p) => results[p.n],
    });
    const client = await clients.client([job]);
    await clients.worker(client);
    for (const n of [1, 2, 3, 4, 5]) {
      const { id } = await client.enqueue(job, { n });
      const done = await until(client, id, "completed");
      expect(done.result, `result of ${n}`).toEqual(results[n]);
    }
  });

  it("puts running jobs back to waiting on a hard stop; the next worker runs them as attempt 2", async () => {
    const attempts: number[] = [];
    const job = defineJob({
      name: clients.name("hard-stop"),
      schema: numberPayload,
      handler: async (_p, ctx) => {
        attempts.push(ctx.attempt);
        if (ctx.attempt === 1) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return "second time";
      },
    });
    const client = await clients.client([job]);
    const first = await clients.worker(client);
    const { id } = await client.enqueue(job, { n: 1 });
    await waitFor(() => attempts.length === 1, { message: "the first attempt" });
    await first.stop({ graceful: false });
    expect((await client.get(id))?.state).toBe("waiting");
    await clients.worker(client);
    const done = await until(client, id, "completed");
    expect(done).toMatchObject({ attempts: 2, result: "second time" });
    expect(attempts).toEqual([1, 2]);
  });

  it("aborts what still runs when a graceful stop's timeout passes", async () => {
    let aborted = false;
    const job = defineJob({
      name: clients.name("slow"),
      schema: numberPayload,
      handler: (_p, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        }),
    });
    const client = await clients.client([job]);
    const worker = await clients.worker(client);
    const { id } = await client.enqueue(job, { n: 1 });
    await until(client, id, "active");
    const started = Date.now();
    await worker.stop({ graceful: true, timeout: "300ms" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(aborted).toBe(true);
    expect((await client.get(id))?.state).toBe("waiting");
  });

  it("holds one worker's concurrency across jobs (each job is its own BullMQ queue and worker)", async () => {
    let active = 0;
    let most = 0;
    const handler = async () => {
      most = Math.max(most, ++active);
      await sleep(150);
      active--;
    };
    const a = defineJob({ name: clients.name("a"), schema: numberPayload, handler });
    const b = defineJob({ name: clients.name("b"), schema: numberPayload, handler });
    const client = await clients.client([a, b]);
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) {
      ids.push((await client.enqueue(a, { n })).id, (await client.enqueue(b, { n })).id);
    }
    await clients.worker(client, 2);
    for (const id of ids) await until(client, id, "completed");
    expect(most).toBe(2);
  });

  it("does not run again a job cancelled while its worker was dead", async () => {
    const calls: number[] = [];
    const job = defineJob({
      name: clients.name("orphan"),
      schema: numberPayload,
      handler: async (_p, ctx) => {
        calls.push(ctx.attempt);
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const client = await clients.client([job]);
    const first = await clients.worker(client);
    const { id } = await client.enqueue(job, { n: 1 });
    await waitFor(() => calls.length === 1, { message: "the first attempt" });
    await first.crash();
    // Nobody runs it now: the notice is lost, the mark is not.
    expect(await client.cancel(id)).toBe(true);
    await clients.worker(client);
    const cancelled = await until(client, id, "cancelled");
    expect(cancelled.error?.code).toBe("SWITCHYARD_JOB_CANCELLED");
    expect(calls).toEqual([1]);
    expect(await client.listFailed()).toEqual([]);
  });

  it("fails a job whose worker died during its last attempt, with SWITCHYARD_STALLED", async () => {
    const calls: number[] = [];
    const job = defineJob({
      name: clients.name("last"),
      schema: numberPayload,
      retry: { maxAttempts: 1 },
      handler: async (_p, ctx) => {
        calls.push(ctx.attempt);
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const client = await clients.client([job]);
    const first = await clients.worker(client);
    const { id } = await client.enqueue(job, { n: 1 });
    await waitFor(() => calls.length === 1, { message: "the attempt" });
    await first.crash();
    await clients.worker(client);
    const failed = await until(client, id, "failed");
    expect(failed.error?.code).toBe("SWITCHYARD_STALLED");
    expect(calls).toEqual([1]);
  });

  it("dedups inside one enqueueMany through the job's idempotency key", async () => {
    const job = defineJob({
      name: clients.name("batch"),
      schema: numberPayload,
      idempotencyKey: (p) => `parity-${p.n % 2}`,
      handler: () => {},
    });
    const client = await clients.client([job]);
    const [one, two, three] = await client.enqueueMany(job, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(one?.deduplicated).toBe(false);
    expect(two?.deduplicated).toBe(false);
    expect(three).toEqual({ id: one?.id, deduplicated: true });
  });

  it("cannot cancel the pending next run of a schedule, and says so", async () => {
    const name = clients.name("tick");
    const job = defineJob({ name, schema: numberPayload, handler: () => {} });
    const client = await clients.client([job]);
    await client.schedules.upsert(job, { id: "hourly", every: "1h", payload: { n: 1 } });
    const raw = new Queue(name, { connection: new Redis(REDIS_URL), prefix: clients.prefixOf(client) });
    const [next] = await raw.getDelayed();
    await raw.close();
    expect(next?.id).toMatch(/^repeat:hourly:/);
    expect(await client.cancel(`${name}:${next!.id}`)).toBe(false);
    expect((await client.schedules.list()).map((entry) => entry.id)).toEqual(["hourly"]);
  });

  it("uses a client it is given and leaves it open", async () => {
    const redis = new Redis(REDIS_URL);
    const job = defineJob({ name: clients.name("given"), schema: numberPayload, handler: (p) => p.n + 1 });
    const client = await clients.client([job], { connection: redis, url: undefined });
    await clients.worker(client);
    const { id } = await client.enqueue(job, { n: 41 });
    expect((await until(client, id, "completed")).result).toBe(42);
    await clients.cleanup();
    expect(redis.status).toBe("ready");
    await redis.quit();
  });
});
