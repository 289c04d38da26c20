import { defineJob, RetryAfterError } from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type EmulatedApp, startEmulatedApp } from "./emulated-app.js";

// Rules of QStash the adapter must be right under, whichever way QStash goes where its docs are
// silent: whether a Retry-After answer beats a message's Upstash-Retry-Delay (the emulator's
// retryAfterOverridesRetryDelay, both ways), and a cancel that QStash completes only at the
// message's delivery time (CANCEL_REQUESTED, then CANCELLED).

const TIME_SCALE = 0.01; // 1 QStash second = 10 real ms
const apps: EmulatedApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function app(
  jobs: Parameters<typeof startEmulatedApp>[0]["jobs"],
  retryAfterOverridesRetryDelay = false,
) {
  const started = await startEmulatedApp({
    jobs,
    emulator: { timeScale: TIME_SCALE, retryAfterOverridesRetryDelay },
  });
  apps.push(started);
  return started;
}

/** The gaps QStash scheduled between the attempts of a message, in QStash milliseconds. */
async function retryGaps(started: EmulatedApp, messageId: string): Promise<number[]> {
  const { logs } = await started.api.logs({ messageIds: [messageId] });
  return logs
    .filter((log) => log.state === "RETRY")
    .reverse()
    .map((log) => (log.nextDeliveryTime as number) - log.time);
}

const empty = z.object({});

describe.each([
  ["the documented rule (Retry-After replaces only the default backoff)", false],
  ["Retry-After overriding Upstash-Retry-Delay", true],
])("qstash: retry delays under %s", (_rule, overrides) => {
  it("waits what a RetryAfterError asks, and what a jittered policy chose", async () => {
    const calls: number[] = [];
    const limited = defineJob({
      name: "limited",
      schema: empty,
      retry: { maxAttempts: 2, backoff: { type: "fixed", delay: "1s" } },
      handler: (_p, ctx) => {
        calls.push(ctx.attempt);
        if (ctx.attempt === 1) throw new RetryAfterError("40s", "rate limited");
      },
    });
    const jittered = defineJob({
      name: "jittered",
      schema: empty,
      retry: { maxAttempts: 4, backoff: { type: "fixed", delay: "50s" }, jitter: 0.5 },
      handler: () => {
        throw new Error("down");
      },
    });
    const started = await app([limited, jittered], overrides);
    const first = await started.jobs.enqueue(limited, {});
    const second = await started.jobs.enqueue(jittered, {});
    await waitFor(async () => (await started.jobs.get(first.id))?.state === "completed", {
      message: "the rate-limited job",
      timeoutMs: 5_000,
    });
    expect(await retryGaps(started, first.id)).toEqual([40_000]);
    await waitFor(async () => (await started.jobs.get(second.id))?.state === "failed", {
      message: "the jittered job to fail",
      timeoutMs: 5_000,
    });
    const gaps = await retryGaps(started, second.id);
    expect(gaps).toHaveLength(3);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(25_000);
      expect(gap).toBeLessThanOrEqual(50_000);
    }
    expect(new Set(gaps).size).toBeGreaterThan(1);
  });
});

describe("qstash: cancel completes at the message's delivery time", () => {
  it("reads a cancelled delayed job as cancelled at once, cancels it once, and never runs it", async () => {
    let ran = 0;
    const later = defineJob({ name: "later", schema: empty, handler: () => void ran++ });
    const started = await app([later]);
    const { id } = await started.jobs.enqueue(later, {}, { delay: "1h" });
    expect(await started.jobs.cancel(id)).toBe(true);
    const { logs } = await started.api.logs({ messageIds: [id] });
    expect(logs[0]?.state).toBe("CANCEL_REQUESTED");
    const cancelled = await started.jobs.get(id);
    expect(cancelled).toMatchObject({
      state: "cancelled",
      error: { code: "SWITCHYARD_JOB_CANCELLED" },
    });
    expect(cancelled?.finishedAt).toBeInstanceOf(Date);
    expect(await started.jobs.cancel(id)).toBe(false);
    await sleep(100);
    expect(ran).toBe(0);
  });
});
