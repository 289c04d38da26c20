import { ConfigError, defineJob } from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { enqueueApart, failing, numberPayload, pages } from "./list-pages.js";
import { REDIS_URL } from "./redis-test-server.js";
import { TestClients } from "./test-client.js";

const clients = new TestClients();
afterEach(() => clients.cleanup());

describe("bullmq list() cursors", () => {
  it("continue after the last job listed when jobs of the page are cancelled between pages (waiting list)", async () => {
    const job = failing(clients.name("waiting"));
    const client = await clients.client([job]);
    const ids = (await enqueueApart(client, job, 10)).reverse(); // newest first
    const listed = await pages(client, "waiting", job.name, 4, async (index, page) => {
      // The page's last job (where the next page starts) and the one before it leave the list.
      if (index === 0) for (const id of page.slice(-2)) expect(await client.cancel(id)).toBe(true);
    });
    expect(listed).toEqual([ids.slice(0, 4), ids.slice(4, 8), ids.slice(8)]);
  });

  it("end when the jobs after the last one listed were all taken by workers", async () => {
    const job = defineJob({ name: clients.name("taken"), schema: numberPayload, handler: () => {} });
    const client = await clients.client([job]);
    for (let n = 0; n < 6; n++) await client.enqueue(job, { n });
    const first = await client.list({ state: "waiting", job: job.name, limit: 3 });
    expect(first.jobs).toHaveLength(3);
    await clients.worker(client);
    await waitFor(async () => (await client.counts({ job: job.name })).completed === 6);
    expect(await client.list({ state: "waiting", job: job.name, limit: 3, cursor: first.cursor })).toEqual({
      jobs: [],
      cursor: undefined,
    });
  });

  it("continue below the last job listed when failed jobs of the page are retried between pages (sorted set)", async () => {
    const job = failing(clients.name("failed"));
    const client = await clients.client([job]);
    await clients.worker(client, 1);
    await enqueueApart(client, job, 9);
    await waitFor(async () => (await client.counts({ job: job.name })).failed === 9);
    const order = (await client.list({ state: "failed", job: job.name })).jobs.map((snapshot) => snapshot.id);
    const retried: string[] = [];
    const listed = await pages(client, "failed", job.name, 3, async (index, page) => {
      if (index > 0) return;
      for (const id of page) {
        expect(await client.retry(id)).toBe(true);
        retried.push(id);
      }
    });
    // The retried jobs fail again and come back newest: a later page does not list them twice.
    expect(listed.flat().slice(0, 3)).toEqual(order.slice(0, 3));
    expect(listed.flat().slice(3)).toEqual(order.slice(3));
  });

  it("refuses a cursor of another state or job, and one that is not a cursor", async () => {
    const job = failing(clients.name("cursor"));
    const client = await clients.client([job]);
    await enqueueApart(client, job, 3);
    const { cursor } = await client.list({ state: "waiting", job: job.name, limit: 1 });
    expect(cursor).toBeDefined();
    await expect(client.list({ state: "delayed", job: job.name, cursor })).rejects.toThrow(ConfigError);
    await expect(client.list({ state: "waiting", cursor })).rejects.toThrow(/not of this one/);
    await expect(client.list({ state: "waiting", cursor: "eyJ2IjoyfQ" })).rejects.toThrow(ConfigError);
    // A list anchor remembers at most 8 ids (each costs an LPOS): a longer one is not a cursor of ours.
    const decoded = JSON.parse(Buffer.from(cursor!, "base64url").toString("utf8"));
    const [stream] = Object.keys(decoded.anchors);
    const forged = (ids: number) => {
      const r = Array.from({ length: ids }, (_, index) => `id-${index}`);
      const text = JSON.stringify({ ...decoded, anchors: { [stream!]: { r } } });
      return Buffer.from(text).toString("base64url");
    };
    expect((await client.list({ state: "waiting", job: job.name, cursor: forged(8) })).jobs).toEqual([]);
    await expect(client.list({ state: "waiting", job: job.name, cursor: forged(9) })).rejects.toThrow(
      /is not a cursor of the bullmq backend/,
    );
  });
});

describe("bullmq counts() and list() of cancelled jobs", () => {
  it("a job cancelled while it runs is cancelled, not failed, once BullMQ has failed it", async () => {
    let started = false;
    const job = defineJob({
      name: clients.name("cancel-running"),
      schema: numberPayload,
      handler: async (_payload, ctx) => {
        started = true;
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const client = await clients.client([job]);
    await clients.worker(client);
    const { id } = await client.enqueue(job, { n: 1 });
    await waitFor(() => started);
    expect(await client.counts({ job: job.name })).toMatchObject({ active: 1, cancelled: 0 });
    expect(await client.cancel(id)).toBe(true);
    await waitFor(async () => (await client.get(id))?.state === "cancelled");
    expect(await client.counts({ job: job.name })).toMatchObject({ active: 0, failed: 0, cancelled: 1 });
    expect((await client.list({ state: "failed", job: job.name })).jobs).toEqual([]);
    const cancelled = await client.list({ state: "cancelled", job: job.name });
    expect(cancelled.jobs.map((snapshot) => [snapshot.id, snapshot.state])).toEqual([[id, "cancelled"]]);
  });

  it("the index of jobs cancelled while they ran drops those BullMQ removed at the next such cancellation", async () => {
    const started = new Set<number>();
    const job = defineJob({
      name: clients.name("cancel-running-removed"),
      schema: numberPayload,
      handler: async (payload, ctx) => {
        started.add(payload.n);
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    // BullMQ keeps no failed job: a cancelled running job is removed once it fails.
    const client = await clients.client([job], { removeOnFail: true });
    await clients.worker(client);
    const index = `${clients.prefixOf(client)}:${job.name}:switchyard-cancelled-running`;
    const redis = new Redis(REDIS_URL);
    try {
      const first = await client.enqueue(job, { n: 1 });
      await waitFor(() => started.has(1));
      expect(await client.cancel(first.id)).toBe(true);
      await waitFor(async () => (await client.get(first.id)) === undefined);
      const second = await client.enqueue(job, { n: 2 });
      await waitFor(() => started.has(2));
      expect(await client.cancel(second.id)).toBe(true);
      // Nothing called counts(): the second cancellation dropped the first job's entry (and the
      // second's too when its worker failed it first).
      const kept = await redis.zrange(index, 0, -1);
      expect(kept.length).toBeLessThanOrEqual(1);
      expect(kept).not.toContain(first.id.slice(job.name.length + 1));
    } finally {
      redis.disconnect();
    }
  });

  it("a job cancelled before it ran counts while its record is kept; the index drops it at the next cancellation", async () => {
    const job = failing(clients.name("cancel-waiting"));
    const client = await clients.client([job], { cancelledRetention: "300ms" });
    const first = await client.enqueue(job, { n: 1 });
    expect(await client.cancel(first.id)).toBe(true);
    expect(await client.counts({ job: job.name })).toMatchObject({ waiting: 0, cancelled: 1 });
    expect((await client.list({ state: "cancelled", job: job.name })).jobs.map((s) => s.id)).toEqual([
      first.id,
    ]);
    await sleep(400);
    expect(await client.counts({ job: job.name })).toMatchObject({ cancelled: 0 });
    expect((await client.list({ state: "cancelled", job: job.name })).jobs).toEqual([]);
    const second = await client.enqueue(job, { n: 2 });
    expect(await client.cancel(second.id)).toBe(true);
    const redis = new Redis(REDIS_URL);
    try {
      const index = `${clients.prefixOf(client)}:${job.name}:switchyard-cancelled`;
      expect(await redis.zrange(index, 0, -1)).toEqual([second.id.slice(job.name.length + 1)]);
    } finally {
      redis.disconnect();
    }
  });
});
