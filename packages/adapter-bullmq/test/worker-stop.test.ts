import { randomBytes } from "node:crypto";
import { ConfigError, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq, STOP_GRACE_MS } from "../src/index.js";
import { TestClients } from "./test-client.js";
import { startRedis, type ThrowawayRedis } from "./throwaway-redis.js";

const clients = new TestClients();
const servers: ThrowawayRedis[] = [];
afterEach(async () => {
  for (const server of servers) server.thaw();
  await clients.cleanup();
  for (const server of servers.splice(0)) await server.kill();
});

/** A job whose handler ignores its abort signal and never ends; `started` counts its attempts. */
function stubbornJob() {
  const state = { started: 0 };
  const job = defineJob({
    name: clients.name("stubborn"),
    schema: z.object({}),
    handler: () => {
      state.started++;
      return new Promise<void>(() => {});
    },
  });
  return { job, state };
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await action();
  return Date.now() - started;
}

describe("worker.stop()", () => {
  it("does not wait for a handler that ignores its abort: a hard stop resolves within the grace", async () => {
    const { job, state } = stubbornJob();
    const client = await clients.client([job]);
    const worker = await clients.worker(client, 1);
    await client.enqueue(job, {});
    await waitFor(() => state.started === 1, { message: "the handler to start" });
    const ms = await timed(() => worker.stop({ graceful: false }));
    expect(ms).toBeLessThan(STOP_GRACE_MS + 700);
  });

  it("takes a hard stop while a graceful one drains: the handler is aborted, both stops resolve within the grace", async () => {
    let aborted = false;
    const job = defineJob({
      name: clients.name("draining"),
      schema: z.object({}),
      handler: (_payload, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        }),
    });
    const client = await clients.client([job]);
    const worker = await clients.worker(client, 1);
    const { id } = await client.enqueue(job, {});
    await waitFor(async () => (await client.get(id))?.state === "active", { message: "the job to start" });
    let gracefulDone = false;
    const graceful = worker.stop({ graceful: true }).then(() => {
      gracefulDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(gracefulDone).toBe(false); // it drains: the handler still runs
    expect(aborted).toBe(false);
    const ms = await timed(() => worker.stop({ graceful: false }));
    expect(aborted).toBe(true);
    expect(ms).toBeLessThan(STOP_GRACE_MS + 700);
    await graceful;
    expect((await client.get(id))?.state).toBe("waiting"); // put back, to run again
  });

  it("resolves within its timeout plus the grace when a handler ignores its abort", async () => {
    const { job, state } = stubbornJob();
    const client = await clients.client([job]);
    const worker = await clients.worker(client, 1);
    await client.enqueue(job, {});
    await waitFor(() => state.started === 1, { message: "the handler to start" });
    const ms = await timed(() => worker.stop({ graceful: true, timeout: "300ms" }));
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(300 + STOP_GRACE_MS + 700);
  });

  it("resolves within the grace when Redis is frozen (connected, answering nothing)", async () => {
    const server = await startRedis();
    servers.push(server);
    const job = defineJob({ name: "frozen", schema: z.object({}), handler: () => {} });
    const client = createSwitchyard({
      backend: bullmq({ url: server.url, prefix: `sy-frozen-${randomBytes(3).toString("hex")}` }),
      jobs: [job],
      logger: silentLogger,
    });
    try {
      const worker = client.work({ concurrency: 1 });
      await worker.ready;
      server.freeze();
      const ms = await timed(() => worker.stop());
      expect(ms).toBeLessThan(STOP_GRACE_MS + 700);
    } finally {
      await client.close();
    }
  });

  it("waits out a timeout longer than Node's timer limit instead of aborting at once", async () => {
    let aborted = false;
    let release: () => void = () => {};
    const job = defineJob({
      name: clients.name("long-stop"),
      schema: z.object({}),
      handler: (_payload, ctx) =>
        new Promise<void>((resolve) => {
          release = resolve;
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        }),
    });
    const client = await clients.client([job]);
    const worker = client.work({ concurrency: 1 });
    await worker.ready;
    const { id } = await client.enqueue(job, {});
    await waitFor(async () => (await client.get(id))?.state === "active", { message: "the job to start" });
    const stopping = worker.stop({ graceful: true, timeout: "30d" });
    // A 30-day timer given to setTimeout fires after 1 ms; give it ample time to misfire.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(aborted).toBe(false);
    release();
    await stopping;
    expect((await client.get(id))?.state).toBe("completed");
  });

  it("refuses bad stop options before stopping anything; a later stop works", async () => {
    const job = defineJob({ name: clients.name("bad-stop"), schema: z.object({}), handler: () => {} });
    const client = await clients.client([job]);
    const worker = await clients.worker(client);
    await expect(worker.stop({ timeout: "-1s" as never })).rejects.toThrow(ConfigError);
    await expect(worker.stop({ gracefull: true } as never)).rejects.toThrow(/unknown option "gracefull"/);
    const { id } = await client.enqueue(job, {});
    await waitFor(async () => (await client.get(id))?.state === "completed", {
      message: "the worker still runs",
    });
    await worker.stop();
  });
});
