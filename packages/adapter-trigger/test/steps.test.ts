// Durable steps as Trigger.dev keeps them, beyond the conformance kit: a sleep past 5 s is a
// checkpointed wait (the run is WAITING and leaves its concurrency slot; the job reads delayed), a
// step past the run metadata cap fails the job with a typed error, and steps live in the run's
// metadata across attempts.
import "@switchyard/emulator-trigger";
import { defineJob } from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { STEP_METADATA_PREFIX } from "../src/run-step-store.js";
import { emulatedClient, uniqueName } from "./emulated-client.js";

const empty = z.object({});
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(...args: Parameters<typeof emulatedClient>) {
  const setUp = await emulatedClient(...args);
  cleanups.push(setUp.close);
  return setUp;
}

async function settled(client: { get(id: string): Promise<{ state: string } | undefined> }, id: string) {
  for (let i = 0; i < 600; i++) {
    const snapshot = await client.get(id);
    if (snapshot && ["completed", "failed", "cancelled"].includes(snapshot.state)) return snapshot;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${id} did not finish`);
}

describe("steps on Trigger.dev", () => {
  it("checkpoints a sleep past 5 s: the run is WAITING, the job delayed, and another job takes the slot", {
    timeout: 30_000,
  }, async () => {
    const events: string[] = [];
    const sleeper = defineJob({
      name: uniqueName("long-sleeper"),
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.run("before", () => void events.push("before"));
        await ctx.step.sleep("nap", "6s");
        events.push("after");
        return ctx.attempt;
      },
    });
    const other = defineJob({
      name: uniqueName("other"),
      schema: empty,
      handler: () => void events.push("other"),
    });
    const { client, emulator } = await setup([sleeper, other], { concurrencyLimit: 1 });
    const enqueuedAt = Date.now();
    const { id } = await client.enqueue(sleeper, {});
    await emulator.waitForRun(id, { until: (run) => run.status === "WAITING" });
    // Checkpointed, the run is on no machine: a crash of the machines loses nothing.
    expect(emulator.crashExecutingAttempts()).toEqual([]);
    const sleeping = await client.get(id);
    expect(sleeping?.state).toBe("delayed");
    expect(Math.abs((sleeping?.runAt?.getTime() ?? 0) - (enqueuedAt + 6_000))).toBeLessThan(1_500);
    const { id: otherId } = await client.enqueue(other, {});
    expect((await settled(client, otherId)).state).toBe("completed");
    expect(events).toEqual(["before", "other"]);
    const done = await settled(client, id);
    expect(done).toMatchObject({ state: "completed", result: 1, attempts: 1, steps: ["before", "nap"] });
    expect(events).toEqual(["before", "other", "after"]);
  });

  it("cancels a job checkpointed in a long sleep: it never resumes", async () => {
    let resumed = false;
    const job = defineJob({
      name: uniqueName("cancel-long-sleep"),
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.sleep("nap", "1h");
        resumed = true;
      },
    });
    const { client, emulator } = await setup([job], { delayTimeScale: 0.0001 });
    const { id } = await client.enqueue(job, {});
    await emulator.waitForRun(id, { until: (run) => run.status === "WAITING" });
    expect(await client.cancel(id)).toBe(true);
    expect((await client.get(id))?.state).toBe("cancelled");
    await new Promise((resolve) => setTimeout(resolve, 600)); // the scaled hour: 360 ms
    expect(resumed).toBe(false);
    expect((await client.get(id))?.state).toBe("cancelled");
  });

  it("aborts the signal of the handler's run after a resume when the job is cancelled", async () => {
    const events: string[] = [];
    const job = defineJob({
      name: uniqueName("cancel-after-resume"),
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.sleep("nap", "100ms");
        events.push("resumed");
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        events.push(`aborted: ${(ctx.signal.reason as Error).name}`);
      },
    });
    const { client, emulator } = await setup([job]);
    const { id } = await client.enqueue(job, {});
    await emulator.waitFor(() => events.includes("resumed"));
    expect(await client.cancel(id)).toBe(true);
    await emulator.waitFor(() => events.length === 2);
    expect(events).toEqual(["resumed", "aborted: JobCancelledError"]);
    expect((await client.get(id))?.state).toBe("cancelled");
  });

  it("fails the job at a step whose result would take the run's metadata past its cap, naming the limit", async () => {
    let after = 0;
    let runs = 0;
    const job = defineJob({
      name: uniqueName("big-step"),
      schema: empty,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "50ms" } },
      handler: async (_p, ctx) => {
        runs++;
        await ctx.step.run("small", () => "fits");
        await ctx.step.run("big", () => "x".repeat(300_000));
        after++;
      },
    });
    const { client, emulator } = await setup([job]);
    const { id } = await client.enqueue(job, {});
    const failed = await settled(client, id);
    expect(failed).toMatchObject({ state: "failed", attempts: 1, steps: ["small"] });
    expect((failed as { error?: { code?: string } }).error?.code).toBe("SWITCHYARD_UNSTORABLE_RESULT");
    expect((failed as { error?: { message?: string } }).error?.message).toMatch(/step "big".*256 KB/);
    expect(runs).toBe(1);
    expect(after).toBe(0);
    expect(emulator.getRun(id)?.metadata?.[`${STEP_METADATA_PREFIX}big`]).toBeUndefined();
  });

  it("keeps a job's steps when retry(id) replays it: the replay runs only the steps not done", async () => {
    const calls: string[] = [];
    let failing = true;
    const job = defineJob({
      name: uniqueName("retried"),
      schema: empty,
      retry: { maxAttempts: 1 },
      handler: async (_p, ctx) => {
        await ctx.step.run("one", () => void calls.push("one"));
        await ctx.step.run("two", () => void calls.push("two"));
        if (failing) throw new Error("fails after two steps");
        await ctx.step.run("three", () => void calls.push("three"));
        return ctx.id;
      },
    });
    const { client } = await setup([job]);
    const { id } = await client.enqueue(job, {});
    expect((await settled(client, id)).state).toBe("failed");
    failing = false;
    expect(await client.retry(id)).toBe(true);
    const done = await settled(client, id);
    expect(done).toMatchObject({ state: "completed", result: id, steps: ["one", "two", "three"] });
    expect(calls).toEqual(["one", "two", "three"]);
  });

  it("keeps each completed step as one key of the run's metadata, which the next attempt starts with", async () => {
    const seen: unknown[] = [];
    const job = defineJob({
      name: uniqueName("attempts"),
      schema: empty,
      retry: { maxAttempts: 2, backoff: { type: "fixed", delay: "50ms" } },
      handler: async (_p, ctx) => {
        seen.push(await ctx.step.run("stamp", () => ({ attempt: ctx.attempt })));
        if (ctx.attempt === 1) throw new Error("fails after the step");
      },
    });
    const { client, emulator } = await setup([job]);
    const { id } = await client.enqueue(job, {});
    expect((await settled(client, id)).state).toBe("completed");
    expect(seen).toEqual([{ attempt: 1 }, { attempt: 1 }]);
    expect(emulator.getRun(id)?.metadata?.[`${STEP_METADATA_PREFIX}stamp`]).toEqual({
      type: "run",
      result: { attempt: 1 },
    });
  });
});
