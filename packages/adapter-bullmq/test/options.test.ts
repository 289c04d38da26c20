import { ConfigError, defineJob } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type BullmqBackendOptions, bullmq } from "../src/index.js";
import { TestClients } from "./test-client.js";

const clients = new TestClients();
afterEach(() => clients.cleanup());

describe("bullmq() options", () => {
  it("are checked at once, each bad one a ConfigError naming it", () => {
    const bad: Array<[unknown, RegExp]> = [
      ["redis://127.0.0.1:6379", /bullmq\(\): options must be an object/],
      [{ commandTimout: "1s" }, /unknown option "commandTimout"/],
      [{ url: 6379 }, /url must be a redis:\/\/ or rediss:\/\/ URL/],
      [{ url: "127.0.0.1:6379" }, /url must be a redis:\/\/ or rediss:\/\/ URL/],
      [{ url: "redis://127.0.0.1:6379", connection: {} }, /connection or url, not both/],
      [{ commandTimeout: "0ms" }, /commandTimeout must be at least 1 ms/],
      [{ commandTimeout: "30d" }, /commandTimeout must be at most 2147483647 ms/],
      [{ commandTimeout: "soon" }, /commandTimeout must look like/],
      [{ lockDuration: "25d" }, /lockDuration must be at most/],
      [{ stalledInterval: -5 }, /stalledInterval must be a non-negative number/],
      [{ readyTimeout: "0ms" }, /readyTimeout must be at least 1 ms/],
      [{ cancelledRetention: "4000d" }, /cancelledRetention must be at most 10 years/],
      [{ defaultIdempotencyTtl: 1e12 }, /defaultIdempotencyTtl must be at most 10 years/],
      [{ removeOnComplete: -1 }, /removeOnComplete must be true, false, a count/],
      [{ removeOnFail: { ages: 60 } }, /removeOnFail must be true, false, a count/],
      [{ prefix: "has space" }, /prefix must be/],
    ];
    for (const [options, message] of bad) {
      expect(() => bullmq(options as BullmqBackendOptions), JSON.stringify(options)).toThrow(ConfigError);
      expect(() => bullmq(options as BullmqBackendOptions)).toThrow(message);
    }
  });

  it("take undefined for any option (process.env.X), and long ready timeouts", async () => {
    const backend = bullmq({
      url: undefined,
      prefix: undefined,
      commandTimeout: undefined,
      readyTimeout: "30d",
      removeOnComplete: { age: 3_600, count: 1_000 },
      removeOnFail: 10,
    });
    await backend.close(); // nothing was connected
  });
});

describe("worker.stop() timeouts", () => {
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
