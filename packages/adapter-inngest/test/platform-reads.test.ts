import {
  createSwitchyard,
  defineJob,
  type Switchyard,
  type SwitchyardOptions,
  silentLogger as switchyardSilent,
} from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { keyedJobId } from "../src/index.js";
import { inngestHarness } from "./inngest-harness.js";

// Inngest creates runs after its event API has answered, and serves REST v1 GET answers from a
// cache for 3-15 s. The executor models both (its restCache and runCreationDelayMs defaults): the
// adapter must report keyed enqueues and read states correctly under them.

type Harness = Awaited<ReturnType<typeof inngestHarness>>;
let harness: Harness;
const opened: Switchyard[] = [];

beforeAll(async () => {
  harness = await inngestHarness();
});
afterAll(() => harness.dispose?.());
afterEach(async () => {
  for (const client of opened.splice(0)) await client.close();
});

const payload = z.object({ n: z.number() });

async function started(jobs: SwitchyardOptions["jobs"]): Promise<Switchyard> {
  const client = createSwitchyard({ backend: await harness.createBackend(), jobs, logger: switchyardSilent });
  opened.push(client);
  await harness.start(client, { concurrency: 1 });
  return client;
}

describe("inngest adapter: keyed enqueues under asynchronous run creation", () => {
  it("never reports a fresh keyed job as deduplicated, and does not wait for its run", async () => {
    const job = defineJob({ name: "fresh", schema: payload, handler: () => {} });
    const client = await started([job]);
    for (const key of ["k-1", "k-2", "k-3"]) {
      const before = Date.now();
      const result = await client.enqueue(job, { n: 1 }, { idempotencyKey: key });
      expect(result).toEqual({ id: keyedJobId("fresh", key), deduplicated: false });
      expect(Date.now() - before).toBeLessThan(1_000);
    }
  });

  it("reports a second enqueue with the key as deduplicated at once, and runs the job once", async () => {
    let runs = 0;
    const job = defineJob({ name: "once", schema: payload, handler: () => void runs++ });
    const client = await started([job]);
    const first = await client.enqueue(job, { n: 1 }, { idempotencyKey: "k" });
    await waitFor(async () => (await client.get(first.id))?.state === "completed", { message: "the job" });
    const before = Date.now();
    expect(await client.enqueue(job, { n: 2 }, { idempotencyKey: "k" })).toEqual({
      id: first.id,
      deduplicated: true,
    });
    expect(Date.now() - before).toBeLessThan(1_000);
    await sleep(300);
    expect(runs).toBe(1);
  });

  it("reports a duplicate sent before the first enqueue's run exists as deduplicated", async () => {
    const job = defineJob({ name: "racing", schema: payload, handler: () => {} });
    const client = await started([job]);
    const [first, second] = await Promise.all([
      client.enqueue(job, { n: 1 }, { idempotencyKey: "same" }),
      sleep(5).then(() => client.enqueue(job, { n: 2 }, { idempotencyKey: "same" })),
    ]);
    expect([first.deduplicated, second.deduplicated].sort()).toEqual([false, true]);
  });
});

describe("inngest adapter: keyed enqueueMany", () => {
  it("reports the repeat of a key within one batch, and one already used, as deduplicated", async () => {
    let runs = 0;
    const keys = ["used", "a", "b", "a", "used"];
    const job = defineJob({
      name: "batched",
      schema: payload,
      idempotencyKey: (p) => keys[p.n],
      handler: () => void runs++,
    });
    const client = await started([job]);
    const used = await client.enqueue(job, { n: 0 });
    await waitFor(async () => (await client.get(used.id))?.state === "completed", {
      message: "the first job",
    });
    const results = await client.enqueueMany(job, [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(results.map((result) => result.deduplicated)).toEqual([false, false, true, true]);
    expect(results[2]!.id).toBe(results[0]!.id);
    expect(results[3]!.id).toBe(used.id);
    await waitFor(() => runs === 3, { message: "a, b and the first job to run" });
    await sleep(300);
    expect(runs).toBe(3);
  });
});

describe("inngest adapter: reads under Inngest's REST v1 cache", () => {
  it("reads a cancelled job as cancelled right away, and cancel of a job whose run does not exist yet holds", async () => {
    let ran = 0;
    const job = defineJob({ name: "sleepy", schema: payload, handler: () => void ran++ });
    const client = await started([job]);
    const { id } = await client.enqueue(job, { n: 1 }, { delay: "1h" });
    expect(await client.cancel(id)).toBe(true); // asked before Inngest created the run
    expect((await client.get(id))?.state).toBe("cancelled");
    await sleep(500);
    expect((await client.get(id))?.state).toBe("cancelled");
    expect(await client.cancel(id)).toBe(false);

    const running = await client.enqueue(job, { n: 2 }, { delay: "1h" });
    await waitFor(async () => (await client.get(running.id))?.state === "delayed", { message: "its run" });
    expect(await client.cancel(running.id)).toBe(true);
    await sleep(500);
    expect((await client.get(running.id))?.state).toBe("cancelled");
    expect(ran).toBe(0);
  });

  it("reads a completed job as completed as soon as it is, though an earlier read saw it waiting", async () => {
    const job = defineJob({ name: "quick", schema: payload, handler: (p) => p.n * 2 });
    const client = await started([job]);
    const { id } = await client.enqueue(job, { n: 21 });
    expect(["waiting", "active", "completed"]).toContain((await client.get(id))?.state);
    const done = await waitFor(
      async () => {
        const current = await client.get(id);
        return current?.state === "completed" && current;
      },
      { message: "the job to complete", timeoutMs: 5_000 },
    );
    expect(done.result).toBe(42);
  });

  it("shows a job waiting for its retry as delayed until then, with the attempts so far", async () => {
    const job = defineJob({
      name: "retrying",
      schema: payload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "30s" } },
      handler: () => {
        throw new Error("not yet");
      },
    });
    const client = await started([job]);
    const before = Date.now();
    const { id } = await client.enqueue(job, { n: 1 });
    const delayed = await waitFor(
      async () => {
        const current = await client.get(id);
        return current?.state === "delayed" && current;
      },
      { message: "the job to wait for its retry", timeoutMs: 10_000 },
    );
    expect(delayed.attempts).toBe(1);
    expect(delayed.runAt!.getTime()).toBeGreaterThanOrEqual(before + 29_000);
    expect(await client.cancel(id)).toBe(true);
    expect(await client.get(id)).toMatchObject({
      state: "cancelled",
      error: { code: "SWITCHYARD_JOB_CANCELLED" },
    });
  });
});
