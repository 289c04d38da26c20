import { defineJob, NotSupportedError, PermanentError } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type EmulatedApp, startEmulatedApp } from "./emulated-app.js";

// counts(), list() and retryFailed() through the emulator and the real SDK: failed jobs come from the
// dead-letter queue, completed ones from the DELIVERED log entries; nothing else is listed.

const shouldFail = new Set<number>();
const charge = defineJob({
  name: "charge",
  schema: z.object({ n: z.number() }),
  retry: { maxAttempts: 1 },
  handler: async ({ n }) => {
    if (shouldFail.has(n)) throw new PermanentError(`charge ${n} declined`);
    return n;
  },
});
const other = defineJob({ name: "other", schema: z.object({}), handler: async () => undefined });

let app: EmulatedApp;
const failedIds: string[] = [];
const completedIds: string[] = [];
beforeAll(async () => {
  app = await startEmulatedApp({ jobs: [charge, other], emulator: { timeScale: 0.01 } });
  for (const n of [1, 2, 3, 4, 5]) shouldFail.add(n);
  for (let n = 1; n <= 8; n++) {
    const { id } = await app.jobs.enqueue(charge, { n });
    (n <= 5 ? failedIds : completedIds).push(id);
  }
  await app.jobs.enqueue(other, {});
  await waitFor(
    async () => {
      const counts = await app.jobs.counts();
      return counts.failed === 5 && counts.completed === 4 && counts;
    },
    { message: "5 failed and 4 completed jobs" },
  );
});
afterAll(() => app?.close());

describe("qstash: counts() and list()", () => {
  it("counts failed and completed jobs, per job too, and no other state", async () => {
    expect(await app.jobs.counts()).toEqual({ completed: 4, failed: 5 });
    expect(await app.jobs.counts({ job: "charge" })).toEqual({ completed: 3, failed: 5 });
    expect(await app.jobs.counts({ job: "other" })).toEqual({ completed: 1, failed: 0 });
  });

  it("pages through failed jobs with the cursor, each once, with payload and error", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await app.jobs.list({ state: "failed", limit: 2, ...(cursor ? { cursor } : {}) });
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

  it("lists completed jobs by job, with their payload and attempts", async () => {
    const page = await app.jobs.list({ state: "completed", job: "charge", limit: 10 });
    expect(page.cursor).toBeUndefined();
    expect(page.jobs.map((job) => job.id).sort()).toEqual([...completedIds].sort());
    const six = page.jobs.find((job) => job.id === completedIds[0]);
    expect(six).toMatchObject({ state: "completed", payload: { n: 6 }, attempts: 1 });
  });

  it("refuses the states QStash cannot list, and a cursor of another state", async () => {
    for (const state of ["waiting", "delayed", "active", "cancelled"] as const) {
      await expect(app.jobs.list({ state })).rejects.toBeInstanceOf(NotSupportedError);
    }
    const page = await app.jobs.list({ state: "failed", limit: 1 });
    await expect(app.jobs.list({ state: "completed", cursor: page.cursor! })).rejects.toThrow(
      /not a cursor of a qstash list of completed jobs/,
    );
  });
});

describe("qstash: retryFailed()", () => {
  it("runs the failed jobs of one job again under their ids, and they leave the dead-letter queue", async () => {
    shouldFail.clear();
    const { retried } = await app.jobs.retryFailed({ job: "charge", limit: 3 });
    expect(retried).toHaveLength(3);
    for (const id of retried) expect(failedIds).toContain(id);
    await waitFor(
      async () => {
        const counts = await app.jobs.counts({ job: "charge" });
        return counts.completed === 6 && counts.failed === 2;
      },
      { message: "the 3 retried jobs to complete" },
    );
    for (const id of retried) expect((await app.jobs.get(id))?.state).toBe("completed");
    const completed = await app.jobs.list({ state: "completed", job: "charge" });
    expect(completed.jobs.map((job) => job.id)).toEqual(expect.arrayContaining(retried));
  });
});
