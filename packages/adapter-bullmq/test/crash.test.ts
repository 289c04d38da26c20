import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq } from "../src/index.js";
import { TEST_LOCK_DURATION, TEST_STALLED_INTERVAL } from "./bullmq-harness.js";
import type { ChildWorker } from "./child-worker.js";
import { executions, jobCounts, loadJob, startLoadWorker } from "./load-workers.js";
import { assertRedisReachable, deleteKeys, REDIS_URL } from "./redis-test-server.js";

const prefix = `sy-crash-${randomBytes(3).toString("hex")}`;
afterAll(() => deleteKeys(`${prefix}:*`));
const children: ChildWorker[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

describe("a worker process killed with SIGKILL", () => {
  it("leaves its running job locked; the lock expires and another worker runs it again to completion", {
    timeout: 60_000,
  }, async () => {
    await assertRedisReachable();
    const name = `crash-${randomBytes(3).toString("hex")}`;
    const child = spawn(
      process.execPath,
      [
        "--conditions=@switchyard/source",
        "--import",
        "tsx",
        fileURLToPath(new URL("./fixtures/crash-worker.ts", import.meta.url)),
      ],
      {
        env: { ...process.env, REDIS_URL, CRASH_PREFIX: prefix, CRASH_JOB: name },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_code, signal) => resolve(signal)),
    );
    try {
      await waitFor(() => output.includes("ready"), {
        message: "the child worker to start",
        timeoutMs: 30_000,
      });

      const attempts: number[] = [];
      const job = defineJob({
        name,
        schema: z.object({ n: z.number() }),
        handler: (payload, ctx) => {
          attempts.push(ctx.attempt);
          return { recovered: payload.n };
        },
      });
      const client = createSwitchyard({
        backend: bullmq({
          url: REDIS_URL,
          prefix,
          lockDuration: TEST_LOCK_DURATION,
          stalledInterval: TEST_STALLED_INTERVAL,
        }),
        jobs: [job],
        logger: silentLogger,
      });
      try {
        const { id } = await client.enqueue(job, { n: 7 });
        await waitFor(() => output.includes(`started ${id} attempt 1`), {
          message: "the child to start the job",
        });
        expect((await client.get(id))?.state).toBe("active");

        child.kill("SIGKILL");
        expect(await exited).toBe("SIGKILL");
        // Killed mid-run: nothing finished the job, it is still active under the dead worker's lock.
        expect((await client.get(id))?.state).toBe("active");

        const killedAt = Date.now();
        const worker = client.work({ concurrency: 1 });
        await worker.ready;
        const done = await waitFor(
          async () => {
            const snapshot = await client.get(id);
            return snapshot?.state === "completed" && snapshot;
          },
          { message: "the job to run again and complete", timeoutMs: 30_000 },
        );
        expect(done.result).toEqual({ recovered: 7 });
        expect(done.attempts).toBe(2); // the killed attempt counts
        expect(attempts).toEqual([2]);
        // Soon after the lock expired (lock 3 s, stalled check every 1 s), not after a production lock.
        expect(Date.now() - killedAt).toBeLessThan(15_000);
        await worker.stop();
      } finally {
        await client.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});

describe("worker processes SIGKILLed again and again under load", () => {
  it("lose no job of 2,000 when killed every ~1 s; duplicated executions stay within kills × concurrency", {
    timeout: 90_000,
  }, async () => {
    const JOBS = 2_000;
    const KILLS = 5;
    const CONCURRENCY = 10;
    const name = `load-${randomBytes(3).toString("hex")}`;
    const job = loadJob(name);
    const client = createSwitchyard({
      backend: bullmq({ url: REDIS_URL, prefix }),
      jobs: [job],
      logger: silentLogger,
    });
    try {
      for (let start = 0; start < JOBS; start += 500) {
        await client.enqueueMany(
          job,
          Array.from({ length: 500 }, (_, i) => ({ n: start + i })),
        );
      }
    } finally {
      await client.close();
    }
    const started = Date.now();
    const worker = () => {
      const child = startLoadWorker({
        url: REDIS_URL,
        prefix,
        name,
        concurrency: CONCURRENCY,
        handlerMs: 20,
      });
      children.push(child);
      return child;
    };
    // Each worker gets about a second of work and dies mid-run: its running jobs stay locked until
    // their locks expire (3 s), then a later worker's stalled check runs them again.
    let kills = 0;
    for (; kills < KILLS; kills++) {
      const child = worker();
      await child.line(/^ready$/, 30_000);
      await sleep(1_000);
      child.kill();
      await child.exited;
    }
    await worker().line(/^ready$/, 30_000);
    const counts = await waitFor(
      async () => {
        const now = await jobCounts(REDIS_URL, prefix, name);
        return (now.completed ?? 0) + (now.failed ?? 0) === JOBS && now;
      },
      { message: "every job to finish", timeoutMs: 45_000, intervalMs: 250 },
    );
    const ran = await executions(REDIS_URL, prefix);
    const lost = Array.from({ length: JOBS }, (_, n) => n).filter((n) => !ran.has(n));
    const duplicated = [...ran.values()].reduce((sum, count) => sum + count - 1, 0);
    console.log(
      `SIGKILL under load: ${JOBS} jobs, ${kills} kills, concurrency ${CONCURRENCY}: lost ${lost.length}, ` +
        `failed ${counts.failed}, duplicated executions ${duplicated} (bound ${kills * CONCURRENCY}), ` +
        `${Date.now() - started} ms`,
    );
    expect(lost).toEqual([]);
    expect(counts).toMatchObject({ completed: JOBS, failed: 0 });
    // A kill interrupts at most CONCURRENCY running attempts, each of which runs again once; every other
    // job runs once (BullMQ's lock keeps a live worker's job from any other worker).
    expect(duplicated).toBeLessThanOrEqual(kills * CONCURRENCY);
  });
});
