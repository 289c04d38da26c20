import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createSwitchyard,
  defineJob,
  ManualClock,
  type MemoryWorker,
  memory,
  silentLogger,
} from "../src/index.js";

const HOUR = 3_600_000;

/** A memory client on a manual clock, with a worker running, and the times (clock ms) at which the handler ran. */
function setup(config: Partial<Parameters<typeof defineJob>[0]> = {}, start = Date.UTC(2026, 2, 1, 0, 0, 0)) {
  const clock = new ManualClock(start);
  const runs: number[] = [];
  const job = defineJob({
    name: "clocked",
    schema: z.object({ fail: z.boolean().default(false) }),
    ...config,
    handler: (payload: { fail: boolean }) => {
      runs.push(clock.now());
      if (payload.fail) throw new Error("fails");
    },
  } as Parameters<typeof defineJob>[0]);
  const jobs = createSwitchyard({ backend: memory({ clock }), jobs: [job], logger: silentLogger });
  const worker = jobs.work();
  return { clock, runs, job, jobs, worker };
}

describe("memory backend on an injected clock (no sleeping)", () => {
  it("holds a delayed job until the clock reaches its time", async () => {
    const { clock, runs, job, jobs } = setup();
    const { id } = await jobs.enqueue(job, {}, { delay: "1h" });
    // The client turns the delay into a wall-clock runAt, so allow the milliseconds that pass meanwhile.
    await clock.advance(HOUR - 1_000);
    expect(runs).toEqual([]);
    expect((await jobs.get(id))?.state).toBe("delayed");
    await clock.advance(1_000);
    expect(runs).toHaveLength(1);
    expect((await jobs.get(id))?.state).toBe("completed");
  });

  it("spaces retries by the exponential policy, capped at max", async () => {
    const { clock, runs, job, jobs } = setup({
      retry: { maxAttempts: 5, backoff: { type: "exponential", delay: "1m", factor: 3, max: "5m" } },
    });
    const start = clock.now();
    const { id } = await jobs.enqueue(job, { fail: true });
    await clock.advance(HOUR);
    expect(runs.map((at) => (at - start) / 60_000)).toEqual([0, 1, 4, 9, 14]);
    expect((await jobs.get(id))?.state).toBe("failed");
  });

  it("forgets an idempotency key once its ttl has passed", async () => {
    const { clock, job, jobs } = setup();
    const first = await jobs.enqueue(job, {}, { idempotencyKey: "k", idempotencyTtl: "10m" });
    await clock.advance(10 * 60_000 - 1);
    expect(await jobs.enqueue(job, {}, { idempotencyKey: "k" })).toEqual({
      id: first.id,
      deduplicated: true,
    });
    await clock.advance(1);
    expect((await jobs.enqueue(job, {}, { idempotencyKey: "k" })).deduplicated).toBe(false);
  });

  it("keeps a key 24 h by default", async () => {
    const { clock, job, jobs } = setup();
    const first = await jobs.enqueue(job, {}, { idempotencyKey: "k" });
    await clock.advance(24 * HOUR - 1);
    expect((await jobs.enqueue(job, {}, { idempotencyKey: "k" })).id).toBe(first.id);
    await clock.advance(1);
    expect((await jobs.enqueue(job, {}, { idempotencyKey: "k" })).deduplicated).toBe(false);
  });

  it("fires a cron schedule at the wall-clock time of its time zone, across a DST change", async () => {
    // 2026-03-28 00:00 UTC; Paris moves from UTC+1 to UTC+2 on 2026-03-29.
    const { clock, runs, worker } = setup(
      { schedule: { cron: "0 9 * * *", timezone: "Europe/Paris", payload: {} } },
      Date.UTC(2026, 2, 28, 0, 0, 0),
    );
    await worker.ready;
    await clock.advance(3 * 24 * HOUR);
    expect(runs.map((at) => new Date(at).toISOString())).toEqual([
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
    ]);
  });

  it("runs an every-schedule on its interval and stops when it is removed", async () => {
    const { clock, runs, job, jobs } = setup();
    await jobs.schedules.upsert(job, { id: "tick", every: "15m", payload: {} });
    await clock.advance(HOUR);
    expect(runs).toHaveLength(4);
    expect(await jobs.schedules.remove("tick")).toBe(true);
    await clock.advance(HOUR);
    expect(runs).toHaveLength(4);
  });
});

describe("memory backend: a crashed worker's jobs", () => {
  function crashable() {
    const clock = new ManualClock();
    const runs: number[] = [];
    const job = defineJob({
      name: "hangs-once",
      schema: z.object({}),
      handler: (_p, ctx) =>
        runs.push(ctx.attempt) === 1
          ? new Promise((resolve) => ctx.signal.addEventListener("abort", resolve))
          : "done",
    });
    const backend = memory({ clock, stalledAfter: "1m" });
    const jobs = createSwitchyard({ backend, jobs: [job], logger: silentLogger });
    const work = () =>
      (backend as unknown as { work(o: { concurrency: number }): MemoryWorker }).work({ concurrency: 1 });
    return { clock, runs, job, jobs, work };
  }

  it("run again once the stall delay has passed", async () => {
    const { clock, runs, job, jobs, work } = crashable();
    const first = work();
    const { id } = await jobs.enqueue(job, {});
    await clock.advance(0);
    first.crash();
    work();
    await clock.advance(59_000);
    expect(runs).toEqual([1]);
    await clock.advance(1_000);
    expect(runs).toEqual([1, 2]);
    expect((await jobs.get(id))?.state).toBe("completed");
  });

  it("stay cancelled when cancelled before the stall delay has passed", async () => {
    const { clock, runs, job, jobs, work } = crashable();
    const first = work();
    const { id } = await jobs.enqueue(job, {});
    await clock.advance(0);
    first.crash();
    work();
    expect(await jobs.cancel(id)).toBe(true);
    await clock.advance(120_000);
    expect(runs).toEqual([1]);
    expect((await jobs.get(id))?.state).toBe("cancelled");
  });
});
