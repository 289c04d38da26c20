// counts(), list() and retryFailed() through the emulator and the real SDK: every state, runs.list
// pages with run-id cursors, and replayed runs counted as their replay's state.
import "@switchyard/emulator-trigger";
import { defineJob, PermanentError, type Switchyard } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { emulatedClient, uniqueName } from "./emulated-client.js";

const shouldFail = new Set<number>();
let release: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  release = resolve;
});
const charge = defineJob({
  name: uniqueName("charge"),
  schema: z.object({ n: z.number() }),
  retry: { maxAttempts: 1 },
  handler: ({ n }) => {
    if (shouldFail.has(n)) throw new PermanentError(`charge ${n} declined`);
    return n * 10;
  },
});
const slow = defineJob({ name: uniqueName("slow"), schema: z.object({}), handler: () => gate });

let client: Switchyard;
let close: () => Promise<void>;
const failedIds: string[] = [];
const completedIds: string[] = [];
let delayedId: string;
let activeId: string;

beforeAll(async () => {
  ({ client, close } = await emulatedClient([charge, slow]));
  for (const n of [1, 2, 3, 4, 5]) shouldFail.add(n);
  for (let n = 1; n <= 8; n++) {
    const { id } = await client.enqueue(charge, { n });
    (n <= 5 ? failedIds : completedIds).push(id);
  }
  ({ id: delayedId } = await client.enqueue(slow, {}, { delay: "1h" }));
  ({ id: activeId } = await client.enqueue(slow, {}));
  await waitFor(
    async () => {
      const counts = await client.counts();
      return counts.failed === 5 && counts.completed === 3 && counts.active === 1;
    },
    { message: "5 failed, 3 completed and 1 active job" },
  );
});
afterAll(async () => {
  release();
  await close?.();
});

describe("trigger: counts() and list()", () => {
  it("counts every state, per job too", async () => {
    expect(await client.counts()).toEqual({
      waiting: 0,
      delayed: 1,
      active: 1,
      completed: 3,
      failed: 5,
      cancelled: 0,
    });
    expect(await client.counts({ job: slow.name })).toMatchObject({ delayed: 1, active: 1, failed: 0 });
  });

  it("pages through failed jobs with the cursor, each once, with payload and error", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.list({ state: "failed", limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      for (const job of page.jobs) {
        expect(job).toMatchObject({ state: "failed", name: charge.name });
        expect(job.error?.message).toContain("declined");
      }
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...failedIds].sort());
  });

  it("lists completed, delayed and active jobs with what get() shows", async () => {
    const completed = await client.list({ state: "completed", job: charge.name });
    expect(completed.jobs.map((job) => job.id).sort()).toEqual([...completedIds].sort());
    expect(completed.jobs.find((job) => job.id === completedIds[0])).toMatchObject({
      payload: { n: 6 },
      result: 60,
      attempts: 1,
    });
    expect((await client.list({ state: "delayed" })).jobs.map((job) => job.id)).toEqual([delayedId]);
    expect((await client.list({ state: "active" })).jobs.map((job) => job.id)).toEqual([activeId]);
    expect((await client.list({ state: "waiting" })).jobs).toEqual([]);
  });

  it("refuses a cursor of another state, and lists nothing of a job the client does not have", async () => {
    const page = await client.list({ state: "failed", limit: 1 });
    await expect(client.list({ state: "completed", cursor: page.cursor! })).rejects.toThrow(
      /not a cursor of a trigger list of completed jobs/,
    );
    expect(await client.list({ state: "failed", job: "elsewhere" })).toEqual({ jobs: [] });
  });
});

describe("trigger: retryFailed()", () => {
  it("replays failed jobs under their ids; the runs they replaced no longer count as failed", async () => {
    shouldFail.clear();
    const { retried } = await client.retryFailed({ job: charge.name, limit: 3 });
    expect(retried).toHaveLength(3);
    for (const id of retried) expect(failedIds).toContain(id);
    await waitFor(
      async () => {
        const counts = await client.counts({ job: charge.name });
        return counts.completed === 6 && counts.failed === 2;
      },
      { message: "the 3 retried jobs to complete" },
    );
    const completed = await client.list({ state: "completed", job: charge.name });
    expect(completed.jobs.map((job) => job.id)).toEqual(expect.arrayContaining(retried));
    const failed = await client.list({ state: "failed", job: charge.name });
    expect(failed.jobs.map((job) => job.id).sort()).toEqual(
      failedIds.filter((id) => !retried.includes(id)).sort(),
    );
  });
});
