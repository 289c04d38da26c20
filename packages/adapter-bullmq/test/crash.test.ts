import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq } from "../src/index.js";
import { TEST_LOCK_DURATION, TEST_STALLED_INTERVAL } from "./bullmq-harness.js";
import { assertRedisReachable, deleteKeys, REDIS_URL } from "./redis-test-server.js";

const prefix = `sy-crash-${randomBytes(3).toString("hex")}`;
afterAll(() => deleteKeys(`${prefix}:*`));

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
