import { describe, expect, it } from "vitest";
import { z } from "zod";
import { memoryCapabilities } from "../src/adapter.js";
import {
  type Backend,
  ConfigError,
  createSwitchyard,
  defineJob,
  memory,
  NotSupportedError,
  PermanentError,
  silentLogger,
} from "../src/index.js";

let failing = true;
const flaky = defineJob({
  name: "flaky",
  schema: z.object({ n: z.number() }),
  retry: { maxAttempts: 1 },
  handler: () => {
    if (failing) throw new PermanentError("down");
  },
});
const other = defineJob({ name: "other", schema: z.object({}), handler: () => {} });

async function failedClient(count: number) {
  failing = true;
  const jobs = createSwitchyard({ backend: memory(), jobs: [flaky, other], logger: silentLogger });
  const worker = jobs.work({ concurrency: 5 });
  await jobs.enqueueMany(
    flaky,
    Array.from({ length: count }, (_, n) => ({ n })),
  );
  await jobs.enqueue(other, {}, { delay: "1h" });
  await until(async () => (await jobs.counts({ job: "flaky" })).failed === count);
  return { jobs, worker };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("condition not met in 5 s");
}

describe("counts(), list(), retryFailed() on the memory backend", () => {
  it("counts every state it declares, zeros included, per job or for all", async () => {
    const { jobs, worker } = await failedClient(3);
    expect(await jobs.counts()).toEqual({
      waiting: 0,
      delayed: 1,
      active: 0,
      completed: 0,
      failed: 3,
      cancelled: 0,
    });
    expect((await jobs.counts({ job: "other" })).failed).toBe(0);
    await worker.stop();
  });

  it("pages through a state newest first, every job once, with the cursor", async () => {
    const { jobs, worker } = await failedClient(7);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await jobs.list({ state: "failed", job: "flaky", limit: 3, cursor });
      expect(page.jobs.length).toBeLessThanOrEqual(3);
      for (const job of page.jobs) {
        expect(job.state).toBe("failed");
        seen.push((job.payload as { n: number }).n);
      }
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect((await jobs.list({ state: "delayed" })).jobs.map((job) => job.name)).toEqual(["other"]);
    await worker.stop();
  });

  it("retryFailed runs the failed jobs again up to its limit, and reports their ids", async () => {
    const { jobs, worker } = await failedClient(5);
    failing = false;
    const first = await jobs.retryFailed({ job: "flaky", limit: 2 });
    expect(first.retried).toHaveLength(2);
    const rest = await jobs.retryFailed();
    expect(rest.retried).toHaveLength(3);
    expect(new Set([...first.retried, ...rest.retried]).size).toBe(5);
    await until(async () => (await jobs.counts({ job: "flaky" })).completed === 5);
    expect((await jobs.retryFailed()).retried).toEqual([]);
    await worker.stop();
  });

  it("retryFailed reaches every failed job even when the retried ones fail again at once", async () => {
    const { jobs, worker } = await failedClient(150);
    // `failing` stays true: each retried job fails again while the call pages on.
    const { retried } = await jobs.retryFailed({ limit: 1000 });
    expect(new Set(retried).size).toBe(150);
    expect(retried).toHaveLength(150);
    await worker.stop();
  });

  it("refuses bad options with a ConfigError naming them", async () => {
    const jobs = createSwitchyard({ backend: memory(), jobs: [flaky], logger: silentLogger });
    // @ts-expect-error: not a state
    await expect(jobs.list({ state: "done" })).rejects.toThrow(ConfigError);
    await expect(jobs.list({ state: "failed", limit: 1001 })).rejects.toThrow(
      /limit must be an integer from 1 to 1000/,
    );
    await expect(jobs.list({ state: "failed", cursor: "not-a-cursor" })).rejects.toThrow(ConfigError);
    // @ts-expect-error: unknown option
    await expect(jobs.counts({ jobs: "flaky" })).rejects.toThrow(/jobs/);
    await expect(jobs.retryFailed({ limit: 0 })).rejects.toThrow(/limit must be a positive integer/);
  });

  it("refuses a state the backend does not list, and keeps only the states it counts", async () => {
    const inner = memory();
    const limited = Object.create(inner) as Backend;
    Object.defineProperty(limited, "capabilities", {
      value: {
        ...memoryCapabilities,
        backend: "limited",
        jobStates: { counted: ["failed"], listed: ["failed"] },
      },
    });
    limited.attach = (runtime) => inner.attach(runtime);
    limited.counts = (options) => inner.counts!(options);
    const jobs = createSwitchyard({ backend: limited, jobs: [flaky], logger: silentLogger });
    await expect(jobs.list({ state: "completed" })).rejects.toThrow(NotSupportedError);
    expect(await jobs.counts()).toEqual({ failed: 0 });
  });
});
