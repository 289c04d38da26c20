// wait.for / wait.until through DATETIME waitpoints: a deployed environment checkpoints the waiting
// run (WAITING, its concurrency slot released) and restores it when the wait is over; `trigger dev`
// keeps it executing. And the run metadata cap (413). The emulator loads before the SDK.
import "../src/index.js";
import { configure, metadata, runs, task, wait } from "@trigger.dev/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTriggerEmulator, type TriggerEmulator } from "../src/index.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Past the SDK's 5 s threshold, below which `wait.until` is a timer in the process. */
const WAIT_MS = 60_000;
/** A wait long enough (5 s scaled) for another run to be triggered and run meanwhile on a loaded machine. */
const LONG_WAIT_MS = 500_000;
/** The emulator's waits run 100× faster: a 60 s wait takes 0.6 s. */
const DELAY_TIME_SCALE = 0.01;

const events: string[] = [];
const sleeper = task({
  id: "waits-sleeper",
  run: async (payload: { key: string; waitMs?: number }) => {
    events.push(`${payload.key}:before`);
    await wait.until({ date: new Date(Date.now() + (payload.waitMs ?? WAIT_MS)) });
    events.push(`${payload.key}:after`);
    return "awake";
  },
  onWait: async () => void events.push("hook:wait"),
  onResume: async () => void events.push("hook:resume"),
});
const quick = task({
  id: "waits-quick",
  run: async (payload: { key: string }) => void events.push(payload.key),
});
const retriedWait = task({
  id: "waits-retried",
  retry: { maxAttempts: 2, minTimeoutInMs: 10, maxTimeoutInMs: 10 },
  run: async (_payload: unknown, { ctx }) => {
    // Attempt 1 waits 60 s (0.6 s here); attempt 2 asks for an hour (36 s here) under the same key.
    const waitMs = ctx.attempt.number === 1 ? WAIT_MS : 3_600_000;
    await wait.until({ date: new Date(Date.now() + waitMs), idempotencyKey: `nap-${ctx.run.id}` });
    if (ctx.attempt.number === 1) throw new Error("fails after the wait");
    return "done";
  },
});
const writer = task({
  id: "waits-metadata-writer",
  run: async (payload: { bytes: number }) => {
    metadata.set("blob", "x".repeat(payload.bytes));
    await metadata.flush();
    return metadata.current();
  },
});

async function startEmulator(environmentType: "PRODUCTION" | "DEVELOPMENT"): Promise<TriggerEmulator> {
  const emulator = await startTriggerEmulator({
    environmentType,
    delayTimeScale: DELAY_TIME_SCALE,
    concurrencyLimit: 1,
    metadataMaximumSize: 1_000,
  });
  emulator.deploy([sleeper, quick, writer, retriedWait]);
  configure(emulator.sdkConfig);
  return emulator;
}

describe("a deployed environment", () => {
  let emulator: TriggerEmulator;
  beforeAll(async () => {
    emulator = await startEmulator("PRODUCTION");
  });
  afterAll(async () => {
    expect(emulator.requests.filter((request) => request.status >= 500)).toEqual([]);
    await emulator.close();
  });

  it("checkpoints a waiting run: WAITING, its slot free for another run, then restored in the same attempt", {
    timeout: 20_000,
  }, async () => {
    events.length = 0;
    const waiting = await sleeper.trigger({ key: "a", waitMs: LONG_WAIT_MS });
    await emulator.waitForRun(waiting.id, { until: (run) => run.status === "WAITING" });
    expect((await runs.retrieve(waiting.id)).status).toBe("WAITING");
    // The environment runs one run at a time: this one starts only because the sleeper left its slot.
    const other = await quick.trigger({ key: "other" });
    await emulator.waitForRun(other.id);
    expect(emulator.getRun(waiting.id)?.status).toBe("WAITING");
    const done = await emulator.waitForRun(waiting.id, { timeoutMs: 15_000 });
    expect(done.status).toBe("COMPLETED");
    expect(done.output).toBe("awake");
    expect(done.attempts).toHaveLength(1);
    expect(events).toEqual(["a:before", "hook:wait", "other", "hook:resume", "a:after"]);
  });

  it("never restores a run cancelled while it waits", async () => {
    events.length = 0;
    const waiting = await sleeper.trigger({ key: "cancelled" });
    await emulator.waitForRun(waiting.id, { until: (run) => run.status === "WAITING" });
    await runs.cancel(waiting.id);
    expect((await emulator.waitForRun(waiting.id)).status).toBe("CANCELED");
    await sleep(WAIT_MS * DELAY_TIME_SCALE + 300);
    expect(events).not.toContain("cancelled:after");
    expect(emulator.getRun(waiting.id)?.status).toBe("CANCELED");
  });

  it("keeps a checkpointed run through a crash of the machines: it is on none", {
    timeout: 20_000,
  }, async () => {
    events.length = 0;
    const waiting = await sleeper.trigger({ key: "survivor", waitMs: LONG_WAIT_MS });
    await emulator.waitForRun(waiting.id, { until: (run) => run.status === "WAITING" });
    expect(emulator.crashExecutingAttempts()).toEqual([]);
    const done = await emulator.waitForRun(waiting.id, { timeoutMs: 15_000 });
    expect(done.status).toBe("COMPLETED");
    expect(done.attempts).toHaveLength(1);
  });

  it("returns a waitpoint already completed for its idempotency key: a retried attempt does not wait again", async () => {
    const handle = await retriedWait.trigger({});
    const done = await emulator.waitForRun(handle.id, { timeoutMs: 15_000 });
    expect(done.status).toBe("COMPLETED");
    expect(done.attempts).toHaveLength(2);
  });

  it("refuses metadata past the size cap with a 413 and keeps the metadata as it was", async () => {
    const fits = await writer.trigger({ bytes: 100 });
    expect((await emulator.waitForRun(fits.id)).metadata).toEqual({ blob: "x".repeat(100) });
    const response = await fetch(`${emulator.url}/api/v1/runs/${fits.id}/metadata`, {
      method: "PUT",
      headers: { authorization: `Bearer ${emulator.secretKey}`, "content-type": "application/json" },
      body: JSON.stringify({ operations: [{ type: "set", key: "more", value: "y".repeat(1_000) }] }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "Metadata exceeds maximum size of 1000 bytes" });
    expect(emulator.getRun(fits.id)?.metadata).toEqual({ blob: "x".repeat(100) });
  });
});

describe("trigger dev (DEVELOPMENT)", () => {
  let emulator: TriggerEmulator;
  beforeAll(async () => {
    emulator = await startEmulator("DEVELOPMENT");
  });
  afterAll(async () => {
    expect(emulator.requests.filter((request) => request.status >= 500)).toEqual([]);
    await emulator.close();
  });

  it("keeps a waiting run executing on its slot: nothing is checkpointed", async () => {
    events.length = 0;
    const waiting = await sleeper.trigger({ key: "dev" });
    await emulator.waitFor(() => events.includes("hook:wait"));
    const other = await quick.trigger({ key: "other" });
    await sleep(200);
    expect(emulator.getRun(waiting.id)?.status).toBe("EXECUTING");
    expect(emulator.getRun(other.id)?.status).toBe("QUEUED");
    await emulator.waitForRun(other.id);
    expect(events).toEqual(["dev:before", "hook:wait", "hook:resume", "dev:after", "other"]);
  });
});
