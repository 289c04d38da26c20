import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type BullmqWorker, bullmq } from "../src/index.js";
import { startRedis, type ThrowawayRedis } from "./throwaway-redis.js";

const empty = z.object({});

/** `count` no-op steps, then (with `sleepMs`) a sleep: the resumed run replays them all. */
function stepsJob(name: string, count: number, sleepMs?: number) {
  return defineJob({
    name,
    schema: empty,
    handler: async (_p, ctx) => {
      for (let i = 0; i < count; i++) await ctx.step.run(`s${i}`, () => i);
      if (sleepMs !== undefined) await ctx.step.sleep("nap", `${sleepMs}ms`);
    },
  });
}

let server: ThrowawayRedis;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(() => server.kill());

describe("the Redis cost of durable steps", () => {
  it("is one round trip per step, and a resumed run reads all its steps in one", {
    timeout: 30_000,
  }, async () => {
    const jobs = {
      plain: stepsJob("plain", 0),
      ten: stepsJob("ten", 10),
      resume5: stepsJob("resume5", 5, 100),
      resume50: stepsJob("resume50", 50, 100),
    };
    const client = createSwitchyard({
      backend: bullmq({ url: server.url, prefix: "rt" }),
      jobs: Object.values(jobs),
      logger: silentLogger,
    });
    const worker = client.work({ concurrency: 1 }) as BullmqWorker;
    await worker.ready;
    let completed = 0;
    for (const bullWorker of worker.workers) bullWorker.on("completed", () => completed++);
    const marker = new Redis(server.url);
    const monitored = new Redis(server.url);
    const monitor = await monitored.monitor();
    // Commands clients sent (a round trip each), as their arguments; a script's own come from "lua".
    const sent: string[][] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua") sent.push(args);
    });
    /**
     * Round trips naming the job's own hash while it ran, from its enqueue to its completion: its
     * steps' saves, its reads, BullMQ's moves of it. Queue-level commands (fetching the next job,
     * blocking waits) are left out: how many a worker sends depends on timing, not on the job.
     */
    async function commandsOf(job: ReturnType<typeof stepsJob>): Promise<number> {
      await marker.echo("begin");
      const before = completed;
      const { id } = await client.enqueue(job, {});
      await waitFor(() => completed > before, { message: `job ${job.name} to complete`, intervalMs: 5 });
      await marker.echo("end");
      await waitFor(() => sent.some((args) => args[0] === "echo" && args[1] === "end"), {
        message: "the monitor to catch up",
      });
      const begin = sent.findIndex((args) => args[0] === "echo" && args[1] === "begin");
      const end = sent.findIndex((args) => args[0] === "echo" && args[1] === "end");
      const during = sent.splice(0, end + 1).slice(begin + 1, end);
      const key = `rt:${id}`;
      return during.filter((args) => args.includes(key)).length;
    }
    try {
      for (const job of Object.values(jobs)) await commandsOf(job); // loads BullMQ's and the adapter's scripts
      const plain = await commandsOf(jobs.plain);
      const ten = await commandsOf(jobs.ten);
      expect(ten - plain).toBe(10);
      const resume5 = await commandsOf(jobs.resume5);
      const resume50 = await commandsOf(jobs.resume50);
      // 45 more steps stored, and nothing more to resume: the read does not grow with the steps.
      expect(resume50 - resume5).toBe(45);
      // A sleep: its own save, the move to delayed, and the resumed run's one read.
      expect(resume5 - (plain + 5)).toBe(3);
    } finally {
      monitor.disconnect();
      monitored.disconnect();
      marker.disconnect();
      await worker.stop();
      await client.close();
    }
  });
});
