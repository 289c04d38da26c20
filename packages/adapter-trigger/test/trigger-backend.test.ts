// What the conformance kit does not pin down: the Trigger.dev rules the adapter declares
// (a failed run frees its idempotency key), how core's decisions reach Trigger.dev, and the
// adapter's own bookkeeping (job ids across replays, schedules, configuration).
import "@switchyard/emulator-trigger";
import {
  backendFromEnv,
  createSwitchyard,
  defineJob,
  PermanentError,
  RetryAfterError,
  silentLogger,
} from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { batchItemTag, waitForBatchRuns } from "../src/batch-runs.js";
import { exportName } from "../src/export-names.js";
import { DEFAULT_IDEMPOTENCY_TTL_MS, fromEnv, trigger, triggerCapabilities } from "../src/index.js";
import { triggerRetryOptions } from "../src/retry-options.js";
import { triggerPriority } from "../src/trigger-priority.js";
import { emulatedClient, uniqueName } from "./emulated-client.js";

const payload = z.object({ n: z.number() });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(...args: Parameters<typeof emulatedClient>) {
  const setUp = await emulatedClient(...args);
  cleanups.push(setUp.close);
  return setUp;
}

async function finalState(client: { get(id: string): Promise<{ state: string } | undefined> }, id: string) {
  for (let i = 0; i < 200; i++) {
    const state = (await client.get(id))?.state;
    if (state === "completed" || state === "failed" || state === "cancelled") return state;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${id} did not finish`);
}

describe("idempotency, as Trigger.dev keeps keys", () => {
  it("declares a ttl window of 30 days by default, cleared when a run fails", () => {
    expect(triggerCapabilities.idempotency).toEqual({
      window: "ttl",
      defaultTtlMs: DEFAULT_IDEMPOTENCY_TTL_MS,
      clearedOnFailure: true,
    });
    expect(DEFAULT_IDEMPOTENCY_TTL_MS).toBe(30 * 24 * 3_600_000);
  });

  it("frees the key of a failed job: the next enqueue with it runs again", async () => {
    let healthy = false;
    const job = defineJob({
      name: uniqueName("charge"),
      schema: payload,
      retry: { maxAttempts: 1 },
      handler: () => {
        if (!healthy) throw new Error("card declined");
        return "charged";
      },
    });
    const { client } = await setup([job]);
    const first = await client.enqueue(job, { n: 1 }, { idempotencyKey: "order-1" });
    expect(await finalState(client, first.id)).toBe("failed");
    healthy = true;
    const second = await client.enqueue(job, { n: 2 }, { idempotencyKey: "order-1" });
    expect(second.deduplicated).toBe(false);
    expect(second.id).not.toBe(first.id);
    expect(await finalState(client, second.id)).toBe("completed");
    // The new run holds the key now.
    expect(await client.enqueue(job, { n: 3 }, { idempotencyKey: "order-1" })).toEqual({
      id: second.id,
      deduplicated: true,
    });
  });

  it("keeps the key of a completed job and of a cancelled one", async () => {
    const job = defineJob({ name: uniqueName("keep"), schema: payload, handler: () => "ok" });
    const { client } = await setup([job]);
    const done = await client.enqueue(job, { n: 1 }, { idempotencyKey: "done" });
    expect(await finalState(client, done.id)).toBe("completed");
    expect(await client.enqueue(job, { n: 1 }, { idempotencyKey: "done" })).toEqual({
      id: done.id,
      deduplicated: true,
    });
    const doomed = await client.enqueue(job, { n: 2 }, { idempotencyKey: "doomed", delay: "1m" });
    expect(await client.cancel(doomed.id)).toBe(true);
    expect(await client.enqueue(job, { n: 2 }, { idempotencyKey: "doomed" })).toEqual({
      id: doomed.id,
      deduplicated: true,
    });
  });

  it("sends the key global-scoped, so an enqueue from inside another job's run matches one from outside", async () => {
    const child = defineJob({ name: uniqueName("child"), schema: payload, handler: () => "child" });
    const results: Array<{ id: string; deduplicated: boolean }> = [];
    const parent = defineJob({
      name: uniqueName("parent"),
      schema: payload,
      handler: async () => {
        results.push(await client.enqueue(child, { n: 2 }, { idempotencyKey: "shared" }));
      },
    });
    const { client } = await setup([child, parent]);
    const outside = await client.enqueue(child, { n: 1 }, { idempotencyKey: "shared" });
    const run = await client.enqueue(parent, { n: 0 });
    expect(await finalState(client, run.id)).toBe("completed");
    expect(results).toEqual([{ id: outside.id, deduplicated: true }]);
  });

  it("dedups the keyed items of enqueueMany one by one, and batches the rest", async () => {
    const job = defineJob({
      name: uniqueName("welcome"),
      schema: z.object({ to: z.string() }),
      idempotencyKey: (p) => `welcome:${p.to}`,
      handler: () => {},
    });
    const { client, emulator } = await setup([job]);
    const results = await client.enqueueMany(job, [{ to: "a" }, { to: "b" }, { to: "a" }]);
    expect(results[2]).toEqual({ id: results[0]!.id, deduplicated: true });
    expect(results[1]!.deduplicated).toBe(false);
    expect(emulator.requests.some((request) => request.path === "/api/v3/batches")).toBe(false);
    const plain = defineJob({ name: uniqueName("plain"), schema: payload, handler: () => {} });
    const { client: other, emulator: otherEmulator } = await setup([plain]);
    const batched = await other.enqueueMany(plain, [{ n: 1 }, { n: 2 }]);
    expect(new Set(batched.map((result) => result.id)).size).toBe(2);
    expect(otherEmulator.requests.filter((request) => request.path === "/api/v3/batches")).toHaveLength(1);
    for (const [index, result] of batched.entries()) {
      expect(otherEmulator.getRun(result.id)?.payload).toEqual({ n: index + 1 });
    }
  });
});

describe("batches", () => {
  it("orders a batch's run ids by item, whatever order Trigger.dev created the runs in", async () => {
    let retrieved = 0;
    const api = {
      // Trigger.dev creates the runs after it answers the batch: the first look finds one of three.
      retrieve: async () => ({
        runs: ++retrieved === 1 ? ["run_c"] : ["run_c", "run_a", "run_b"],
        processing: { errors: [] },
      }),
      async *list() {
        yield { id: "run_c", tags: [batchItemTag(2)] };
        yield { id: "run_a", tags: ["other", batchItemTag(0)] };
        yield { id: "run_b", tags: [batchItemTag(1)] };
      },
    };
    expect(await waitForBatchRuns(api, "batch_1", 3, 5_000)).toEqual(["run_a", "run_b", "run_c"]);
    expect(retrieved).toBe(2);
  });

  it("fails naming the items Trigger.dev refused, or when the runs do not appear in time", async () => {
    const refused = {
      retrieve: async () => ({
        runs: ["run_a"],
        processing: { errors: [{ index: 1, error: "payload too large" }] },
      }),
      async *list() {},
    };
    await expect(waitForBatchRuns(refused, "batch_2", 2, 1_000)).rejects.toMatchObject({
      code: "SWITCHYARD_TRIGGER_API",
      message: expect.stringContaining("item 1: payload too large"),
    });
    const slow = { retrieve: async () => ({ runs: [], processing: { errors: [] } }), async *list() {} };
    // The runs may still come: the platform did not process the batch in time.
    await expect(waitForBatchRuns(slow, "batch_3", 2, 100)).rejects.toMatchObject({
      code: "SWITCHYARD_BACKEND_UNAVAILABLE",
      backend: "trigger",
      stored: "unknown",
      message: expect.stringContaining("0 of 2 runs after 100 ms"),
    });
  });
});

describe("core's decisions, as Trigger.dev records them", () => {
  it("retries at exactly the delay core's policy chose, through catchError's retryAt", async () => {
    // Each attempt fails as soon as it starts.
    const calledAt: number[] = [];
    const job = defineJob({
      name: uniqueName("throttled"),
      schema: payload,
      retry: { maxAttempts: 3, backoff: { type: "exponential", delay: "200ms", factor: 3 } },
      handler: (_p, ctx) => {
        calledAt.push(Date.now());
        if (ctx.attempt === 1) throw new RetryAfterError("700ms", "slow down");
        if (ctx.attempt === 2) throw new Error("flaky");
      },
    });
    const { client, emulator } = await setup([job]);
    const { id } = await client.enqueue(job, { n: 1 });
    expect(await finalState(client, id)).toBe("completed");
    const [first, second] = emulator.attemptsFor(id);
    // Core's delay, from the failure: the RetryAfterError's 700 ms, where the task's retry settings
    // say 200 ms; then 600 ms. The retry time is fixed when the attempt fails, so what the platform
    // waits after it hears of the failure is at most that.
    expect(calledAt[1]! - calledAt[0]!).toBeGreaterThanOrEqual(700);
    expect(calledAt[2]! - calledAt[1]!).toBeGreaterThanOrEqual(600);
    expect(first!.retryDelayMs).toBeLessThanOrEqual(700);
    expect(first!.retryDelayMs).toBeGreaterThan(500);
    expect(second!.retryDelayMs).toBeLessThanOrEqual(600);
    expect(first!.error).toMatchObject({ name: "SWITCHYARD_RETRY_AFTER", message: "slow down" });
  });

  it("stops retrying a PermanentError and keeps its code as the run's error name", async () => {
    const job = defineJob({
      name: uniqueName("doomed"),
      schema: payload,
      retry: { maxAttempts: 5 },
      handler: () => {
        throw new PermanentError("no such address");
      },
    });
    const { client, emulator } = await setup([job]);
    const { id } = await client.enqueue(job, { n: 1 });
    expect(await finalState(client, id)).toBe("failed");
    expect(emulator.attemptsFor(id)).toHaveLength(1);
    expect(emulator.attemptsFor(id)[0]).toMatchObject({ skippedRetrying: true });
    expect(emulator.getRun(id)?.error).toMatchObject({
      name: "SWITCHYARD_PERMANENT",
      message: "no such address",
    });
    expect((await client.get(id))?.error).toEqual({
      code: "SWITCHYARD_PERMANENT",
      message: "no such address",
    });
  });

  it("keeps progress in the run's metadata and the result in its output", async () => {
    const job = defineJob({
      name: uniqueName("progress"),
      schema: payload,
      handler: async (p, ctx) => {
        await ctx.progress({ done: p.n });
        return { total: p.n * 2 };
      },
    });
    const { client, emulator } = await setup([job]);
    const { id } = await client.enqueue(job, { n: 21 });
    expect(await finalState(client, id)).toBe("completed");
    expect(emulator.getRun(id)?.metadata).toEqual({ progress: { done: 21 } });
    expect(emulator.getRun(id)?.output).toEqual({ total: 42 });
    expect(await client.get(id)).toMatchObject({
      progress: { done: 21 },
      result: { total: 42 },
      attempts: 1,
    });
  });

  it("maps priority 0..1000 (lower first) to seconds of head start (higher first)", () => {
    expect(triggerPriority()).toBe(1_000);
    expect(triggerPriority(0)).toBe(1_000);
    expect(triggerPriority(10)).toBeLessThan(triggerPriority(1));
    expect(triggerPriority(1_000)).toBe(0);
  });

  it("declares the job's policy as the task's retry settings", () => {
    expect(
      triggerRetryOptions({
        maxAttempts: 5,
        backoff: { type: "exponential", delayMs: 500, factor: 1.5 },
        jitter: 0.2,
      }),
    ).toEqual({
      maxAttempts: 5,
      factor: 1.5,
      minTimeoutInMs: 500,
      maxTimeoutInMs: 2_147_483_647,
      randomize: false,
    });
  });
});

describe("job ids across retry(id)", () => {
  it("carries the job's id to each replay without replay overrides: the handler sees it, get and listFailed follow the newest run", async () => {
    let healthy = false;
    const seen: Array<[string, number]> = [];
    const job = defineJob({
      name: uniqueName("revive"),
      schema: payload,
      retry: { maxAttempts: 1 },
      handler: (_p, ctx) => {
        seen.push([ctx.id, ctx.attempt]);
        if (!healthy) throw new Error("down");
        return "up";
      },
    });
    const { client, emulator } = await setup([job]);
    const { id } = await client.enqueue(job, { n: 1 });
    expect(await finalState(client, id)).toBe("failed");
    expect((await client.listFailed()).map((snapshot) => snapshot.id)).toEqual([id]);
    expect(await client.retry(id)).toBe(true);
    expect(await finalState(client, id)).toBe("failed"); // still down: the replay failed too
    const runs = emulator.listRuns({ taskIdentifier: job.name });
    expect(runs).toHaveLength(2);
    // The first run was tagged with the job's id before the replay (which copied it), and with the
    // replay's id after it: the link get(id) follows with runs.retrieve, not a run list.
    expect(runs[0]!.tags).toEqual([`switchyard_job:${id}`, `switchyard_replayed_as:${runs[1]!.id}`]);
    expect(runs[1]!.tags).toEqual([`switchyard_job:${id}`]);
    expect((await client.listFailed()).map((snapshot) => snapshot.id)).toEqual([id]);
    healthy = true;
    expect(await client.retry(id)).toBe(true);
    expect(await finalState(client, id)).toBe("completed");
    expect(seen).toEqual([
      [id, 1],
      [id, 1],
      [id, 1],
    ]);
    const lists = () => emulator.requests.filter((request) => request.path === "/api/v1/runs").length;
    const listsBefore = lists();
    expect(await client.get(id)).toMatchObject({ id, state: "completed", result: "up", attempts: 1 });
    expect(lists()).toBe(listsBefore); // followed with runs.retrieve only
    expect(await client.listFailed()).toEqual([]);
    expect(await client.retry(id)).toBe(false);
    expect(await client.cancel(id)).toBe(false);
  });

  it("returns undefined for a run of a task that is not one of the client's jobs", async () => {
    const job = defineJob({ name: uniqueName("mine"), schema: payload, handler: () => {} });
    const stranger = defineJob({ name: uniqueName("stranger"), schema: payload, handler: () => {} });
    const { client, emulator } = await setup([job]);
    const other = createSwitchyard({
      backend: trigger({ secretKey: emulator.secretKey, baseURL: emulator.url }),
      jobs: [stranger],
      logger: silentLogger,
    });
    const { id } = await other.enqueue(stranger, { n: 1 });
    expect(await client.get(id)).toBeUndefined();
    expect(await client.cancel(id)).toBe(false);
  });
});

describe("schedules", () => {
  it("lists declared and upserted schedules; a declared one cannot be removed at run time", async () => {
    const name = uniqueName("report");
    const job = defineJob({
      name,
      schema: payload,
      schedule: { cron: "0 9 * * 1", timezone: "Europe/Paris", payload: { n: 1 } },
      handler: () => {},
    });
    const { client, emulator } = await setup([job]);
    await client.schedules.upsert(job, { id: `${name}-hourly`, cron: "0 * * * *", payload: { n: 2 } });
    const listed = await client.schedules.list();
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: name,
          job: name,
          cron: "0 9 * * 1",
          timezone: "Europe/Paris",
          payload: { n: 1 },
        }),
        expect.objectContaining({
          id: `${name}-hourly`,
          job: name,
          cron: "0 * * * *",
          timezone: "UTC",
          payload: { n: 2 },
        }),
      ]),
    );
    for (const entry of listed) expect(entry.nextRunAt).toBeInstanceOf(Date);
    // Trigger.dev side: a DECLARATIVE schedule on the job's scheduled task, an IMPERATIVE one on the router.
    expect(
      emulator
        .listSchedules()
        .map((schedule) => [schedule.type, schedule.taskIdentifier])
        .sort(),
    ).toEqual([
      ["DECLARATIVE", `${name}.schedule`],
      ["IMPERATIVE", "switchyard-schedules"],
    ]);
    await expect(client.schedules.remove(name)).rejects.toThrow(/declared in defineJob/);
    expect(await client.schedules.remove(`${name}-hourly`)).toBe(true);
    expect(await client.schedules.remove(`${name}-hourly`)).toBe(false);
  });

  it("runs a tick of an upserted schedule as an ordinary run of the job, with the schedule's payload", async () => {
    const received: unknown[] = [];
    const job = defineJob({
      name: uniqueName("tick"),
      schema: payload,
      handler: (p) => void received.push(p),
    });
    const { client, emulator } = await setup([job]);
    await client.schedules.upsert(job, {
      id: uniqueName("tick-schedule"),
      cron: "0 0 1 1 *",
      payload: { n: 7 },
    });
    const [schedule] = emulator.listSchedules();
    const tick = await emulator.fireSchedule(schedule!.id);
    await emulator.waitForRun(tick.id);
    const [jobRun] = emulator.listRuns({ taskIdentifier: job.name });
    expect((await emulator.waitForRun(jobRun!.id)).status).toBe("COMPLETED");
    expect(received).toEqual([{ n: 7 }]);
    expect(jobRun!.parentRunId).toBe(tick.id);
    expect(await client.get(jobRun!.id)).toMatchObject({ state: "completed", payload: { n: 7 } });
  });
});

describe("configuration", () => {
  it("takes the secret key from the options or TRIGGER_SECRET_KEY, and fails the first call without one", async () => {
    expect(() => trigger({ secretKey: 42 as unknown as string })).toThrow(
      /secretKey must be a string, got 42/,
    );
    const backend = fromEnv({ TRIGGER_SECRET_KEY: "tr_dev_abc", TRIGGER_API_URL: "http://127.0.0.1:1" });
    expect(backend.capabilities).toBe(triggerCapabilities);
    const chosen = await backendFromEnv({ SWITCHYARD_BACKEND: "trigger", TRIGGER_SECRET_KEY: "tr_dev_abc" });
    expect(chosen.capabilities.backend).toBe("trigger");
    expect(typeof chosen.work).toBe("undefined");
    // A Trigger.dev worker imports the jobs module before any credentials are needed.
    const saved = { key: process.env.TRIGGER_SECRET_KEY, token: process.env.TRIGGER_ACCESS_TOKEN };
    delete process.env.TRIGGER_SECRET_KEY;
    delete process.env.TRIGGER_ACCESS_TOKEN;
    try {
      const job = defineJob({ name: uniqueName("keyless"), schema: payload, handler: () => {} });
      const client = createSwitchyard({ backend: fromEnv({}), jobs: [job], logger: silentLogger });
      await expect(client.enqueue(job, { n: 1 })).rejects.toMatchObject({
        code: "SWITCHYARD_CONFIG",
        message: expect.stringContaining("TRIGGER_SECRET_KEY"),
      });
    } finally {
      if (saved.key !== undefined) process.env.TRIGGER_SECRET_KEY = saved.key;
      if (saved.token !== undefined) process.env.TRIGGER_ACCESS_TOKEN = saved.token;
    }
  });

  it("refuses, at createSwitchyard, more attempts than Trigger.dev runs and task ids that collide", () => {
    const backend = () => trigger({ secretKey: "tr_dev_abc" });
    const greedy = defineJob({
      name: uniqueName("greedy"),
      schema: payload,
      retry: { maxAttempts: 251 },
      handler: () => {},
    });
    expect(() => createSwitchyard({ backend: backend(), jobs: [greedy] })).toThrow(
      /more than Trigger.dev runs \(250\)/,
    );
    const name = uniqueName("nightly");
    const scheduled = defineJob({
      name,
      schema: payload,
      schedule: { cron: "0 3 * * *", payload: { n: 1 } },
      handler: () => {},
    });
    const clash = defineJob({ name: `${name}.schedule`, schema: payload, handler: () => {} });
    expect(() => createSwitchyard({ backend: backend(), jobs: [scheduled, clash] })).toThrow(
      /task id .* is used by/,
    );
    const router = defineJob({ name: "switchyard-schedules", schema: payload, handler: () => {} });
    expect(() => createSwitchyard({ backend: backend(), jobs: [router] })).toThrow(/scheduleTaskId/);
  });

  it("accepts undefined for every option, and refuses unknown options and wrong kinds, naming them", () => {
    const backend = trigger({
      secretKey: undefined,
      baseURL: "",
      scheduleTaskId: undefined,
      batchTimeout: undefined,
      requestRetry: undefined,
    });
    expect(backend.capabilities).toBe(triggerCapabilities);
    const wrong = (options: object) => () => trigger(options as never);
    expect(wrong({ secret: "tr_dev_x" })).toThrow(/unknown option "secret"/);
    expect(wrong({ baseURL: "api.trigger.dev" })).toThrow(/baseURL must be an absolute http\(s\) URL/);
    expect(wrong({ batchTimeout: "1h" })).toThrow(/batchTimeout must be at most 10 minutes/);
    expect(wrong({ requestRetry: { maxAttempts: 0 } })).toThrow(
      /requestRetry.maxAttempts must be an integer from 1 to 20/,
    );
    expect(wrong({ requestRetry: { maxDelay: "1h" } })).toThrow(
      /requestRetry: minDelay .* maxDelay .* at most 5 minutes/,
    );
    expect(wrong({ requestRetry: { factor: 0.5 } })).toThrow(
      /requestRetry.factor must be a number of at least 1/,
    );
    expect(wrong({ requestRetry: { retries: 2 } })).toThrow(/requestRetry: unknown option "retries"/);
  });

  it("names exports in camelCase", () => {
    expect(exportName("email.send")).toBe("emailSend");
    expect(exportName("send-email")).toBe("sendEmail");
    expect(exportName("daily_report")).toBe("dailyReport");
    expect(exportName("job:1")).toBe("job1");
    expect(exportName("3d-render")).toBe("_3dRender");
  });
});

describe("crash recovery depends on the environment", () => {
  const crashing = (name: string, calls: number[]) =>
    defineJob({
      name: uniqueName(name),
      schema: payload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
      handler: (_p, ctx) => {
        calls.push(ctx.attempt);
        if (ctx.attempt > 1) return Promise.resolve("recovered");
        return new Promise<string>((resolve) => ctx.signal.addEventListener("abort", () => resolve("lost")));
      },
    });

  it.each([
    [
      "a deployed environment (PRODUCTION) runs a job whose machine died again",
      "PRODUCTION",
      "completed",
      [1, 2],
    ],
    ["trigger dev (DEVELOPMENT) does not: the job ends cancelled", "DEVELOPMENT", "cancelled", [1]],
  ] as const)("%s", async (_title, environmentType, state, attempts) => {
    const calls: number[] = [];
    const job = crashing("crashing", calls);
    const { client, emulator } = await setup([job], { heartbeatTimeoutMs: 200, environmentType });
    const { id } = await client.enqueue(job, { n: 1 });
    await emulator.waitForRun(id, { until: (run) => run.status === "EXECUTING" });
    emulator.crashExecutingAttempts();
    expect(await finalState(client, id)).toBe(state);
    expect(calls).toEqual(attempts);
  });
});

describe("a job between two attempts", () => {
  it("shows as delayed until its retry (Trigger.dev says EXECUTING), then cancels as a cancelled job", async () => {
    const job = defineJob({
      name: uniqueName("later"),
      schema: payload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "30s" } },
      handler: () => {
        throw new Error("not yet");
      },
    });
    const { client, emulator } = await setup([job]);
    const before = Date.now();
    const { id } = await client.enqueue(job, { n: 1 });
    await emulator.waitForRun(id, {
      until: (run) => run.attempts.length === 1 && run.attempts[0]!.outcome !== "executing",
    });
    const snapshot = await client.get(id);
    expect(snapshot).toMatchObject({ state: "delayed", attempts: 1 });
    expect(snapshot?.runAt?.getTime()).toBeGreaterThanOrEqual(before + 29_000);
    expect(await client.cancel(id)).toBe(true);
    expect(await client.get(id)).toMatchObject({
      state: "cancelled",
      error: { code: "SWITCHYARD_JOB_CANCELLED" },
    });
  });
});
