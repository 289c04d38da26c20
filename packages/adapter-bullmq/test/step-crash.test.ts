import { randomBytes } from "node:crypto";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq } from "../src/index.js";
import { type ChildWorker, startChild } from "./child-worker.js";
import { assertRedisReachable, deleteKeys, REDIS_URL } from "./redis-test-server.js";

const prefix = `sy-step-crash-${randomBytes(3).toString("hex")}`;
const children: ChildWorker[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});
afterAll(() => deleteKeys(`${prefix}:*`));

function startWorker(name: string, hangAfter: string): ChildWorker {
  const child = startChild("step-crash-worker.ts", {
    REDIS_URL,
    STEPS_PREFIX: prefix,
    STEPS_JOB: name,
    HANG_AFTER: hangAfter,
  });
  children.push(child);
  return child;
}

describe("a worker process killed with SIGKILL between durable steps", () => {
  it("is resumed by a new process at step 3: steps 1 and 2 ran exactly once, their results replayed", {
    timeout: 60_000,
  }, async () => {
    await assertRedisReachable();
    const name = `step-crash-${randomBytes(3).toString("hex")}`;
    const job = defineJob({ name, schema: z.object({ order: z.string() }), handler: () => {} });
    const client = createSwitchyard({
      backend: bullmq({ url: REDIS_URL, prefix }),
      jobs: [job],
      logger: silentLogger,
    });
    const redis = new Redis(REDIS_URL);
    const effects = async () => {
      const [one, two, three] = await redis.mget(
        `${prefix}:effects:one`,
        `${prefix}:effects:two`,
        `${prefix}:effects:three`,
      );
      return { one: Number(one ?? 0), two: Number(two ?? 0), three: Number(three ?? 0) };
    };
    try {
      const first = startWorker(name, "two");
      await first.line(/^ready$/, 30_000);
      const { id } = await client.enqueue(job, { order: "A-1" });
      await first.line(new RegExp(`^after-two ${id} attempt 1$`));
      // Stored before the handler went on: the steps are in Redis when the process dies.
      expect((await client.get(id))?.steps).toEqual(["one", "two"]);

      first.process.kill("SIGKILL");
      expect((await first.exited).signal).toBe("SIGKILL");
      expect(await effects()).toEqual({ one: 1, two: 1, three: 0 });

      const second = startWorker(name, "none");
      await second.line(new RegExp(`^finished ${id} attempt 2$`), 30_000);
      const done = await waitFor(
        async () => {
          const snapshot = await client.get(id);
          return snapshot?.state === "completed" && snapshot;
        },
        { message: "the job to complete" },
      );
      expect(await effects()).toEqual({ one: 1, two: 1, three: 1 });
      // Step one's stored result came back in the new process, and step three used step two's.
      expect(done.result).toEqual({ one: "confirmed A-1", three: "tracking sent for label for A-1" });
      expect(done.attempts).toBe(2); // the killed attempt counts
      expect(done.steps).toEqual(["one", "two", "three"]);
      expect(second.lines.some((line) => line.text.startsWith("after-two"))).toBe(false);
    } finally {
      await client.close();
      redis.disconnect();
    }
  });
});
