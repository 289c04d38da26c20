import {
  createSwitchyard,
  defineJob,
  NotSupportedError,
  PermanentError,
  type Switchyard,
  silentLogger,
} from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { inngestHarness } from "./inngest-harness.js";

// counts(), list() and retryFailed() through the emulator's REST v2: completed, failed and cancelled
// runs, a failed run replaced by a retry's rerun counting as the rerun's state.

type Harness = Awaited<ReturnType<typeof inngestHarness>>;
let harness: Harness;
let client: Switchyard;
const shouldFail = new Set<number>();
const charge = defineJob({
  name: "charge",
  schema: z.object({ n: z.number() }),
  retry: { maxAttempts: 1 },
  handler: ({ n }) => {
    if (shouldFail.has(n)) throw new PermanentError(`charge ${n} declined`);
    return n * 10;
  },
});
const other = defineJob({ name: "other", schema: z.object({}), handler: () => "done" });
const failedIds: string[] = [];
const completedIds: string[] = [];

beforeAll(async () => {
  harness = await inngestHarness();
  client = createSwitchyard({
    backend: await harness.createBackend(),
    jobs: [charge, other],
    logger: silentLogger,
  });
  await harness.start(client, { concurrency: 5 });
  for (const n of [1, 2, 3, 4, 5]) shouldFail.add(n);
  for (let n = 1; n <= 8; n++) {
    const { id } = await client.enqueue(charge, { n });
    (n <= 5 ? failedIds : completedIds).push(id);
  }
  await client.enqueue(other, {});
  await waitFor(
    async () => {
      const counts = await client.counts();
      return counts.failed === 5 && counts.completed === 4;
    },
    { message: "5 failed and 4 completed jobs" },
  );
});
afterAll(async () => {
  await client?.close();
  await harness?.dispose?.();
});

describe("inngest: counts() and list()", () => {
  it("counts completed, failed and cancelled jobs, per job too", async () => {
    expect(await client.counts()).toEqual({ completed: 4, failed: 5, cancelled: 0 });
    expect(await client.counts({ job: "charge" })).toEqual({ completed: 3, failed: 5, cancelled: 0 });
    expect(await client.counts({ job: "other" })).toEqual({ completed: 1, failed: 0, cancelled: 0 });
  });

  it("pages through failed jobs with the cursor, each once, with payload and error", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.list({ state: "failed", limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      for (const job of page.jobs) {
        expect(job).toMatchObject({ state: "failed", name: "charge" });
        expect(job.error?.message).toContain("declined");
      }
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...failedIds].sort());
  });

  it("lists completed jobs of one job with their payload and result", async () => {
    const page = await client.list({ state: "completed", job: "charge", limit: 10 });
    expect(page.cursor).toBeUndefined();
    expect(page.jobs.map((job) => job.id).sort()).toEqual([...completedIds].sort());
    const six = page.jobs.find((job) => job.id === completedIds[0]);
    expect(six).toMatchObject({ state: "completed", payload: { n: 6 }, result: 60, attempts: 1 });
  });

  it("refuses the states REST v2 does not tell apart, and a cursor of another state", async () => {
    for (const state of ["waiting", "delayed", "active"] as const) {
      await expect(client.list({ state })).rejects.toBeInstanceOf(NotSupportedError);
    }
    const page = await client.list({ state: "failed", limit: 1 });
    await expect(client.list({ state: "completed", cursor: page.cursor! })).rejects.toThrow(
      /not a cursor of an inngest list of completed jobs/,
    );
  });
});

describe("inngest: retryFailed()", () => {
  it("reruns failed jobs under their ids; the runs they replaced no longer count as failed", async () => {
    shouldFail.clear();
    const { retried } = await client.retryFailed({ job: "charge", limit: 3 });
    expect(retried).toHaveLength(3);
    for (const id of retried) expect(failedIds).toContain(id);
    await waitFor(
      async () => {
        const counts = await client.counts({ job: "charge" });
        return counts.completed === 6 && counts.failed === 2;
      },
      { message: "the 3 retried jobs to complete" },
    );
    const failed = await client.list({ state: "failed", job: "charge" });
    expect(failed.jobs.map((job) => job.id).sort()).toEqual(
      failedIds.filter((id) => !retried.includes(id)).sort(),
    );
  });
});
