// Deployed versions, and the test controls over execution: pause/resume, the environment's
// concurrency limit, and machines that die mid-attempt. The emulator loads before the SDK.
import "../src/index.js";
import { configure, runs, schedules, TriggerClient, task, tasks } from "@trigger.dev/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTriggerEmulator, type TriggerEmulator } from "../src/index.js";

let emulator: TriggerEmulator;

beforeAll(async () => {
  emulator = await startTriggerEmulator({ heartbeatTimeoutMs: 300 });
  configure(emulator.sdkConfig);
});

afterAll(async () => {
  expect(emulator.requests.filter((request) => request.status >= 500)).toEqual([]);
  await emulator.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("deploy", () => {
  const shipped = task({ id: "workers-shipped", run: async (payload: { n: number }) => payload.n + 1 });
  const unshipped = task({ id: "workers-unshipped", run: async (payload: { n: number }) => payload.n * 2 });
  const nightly = schedules.task({ id: "workers-nightly", cron: "0 3 * * *", run: async () => {} });

  it("runs only the deployed version's tasks and parks the others in PENDING_VERSION", async () => {
    emulator.deploy([shipped]);
    const a = await shipped.trigger({ n: 1 });
    const b = await unshipped.trigger({ n: 1 });
    expect((await emulator.waitForRun(a.id)).output).toBe(2);
    await emulator.waitForRun(b.id, { until: (run) => run.status === "PENDING_VERSION" });
    expect(emulator.getRun(b.id)?.attempts).toEqual([]);
    emulator.deploy([shipped, unshipped.id]);
    expect((await emulator.waitForRun(b.id)).output).toBe(2);
  });

  it("syncs declarative schedules of deployed tasks only", async () => {
    emulator.deploy([shipped]);
    const listed = async () => (await schedules.list()).data.map((schedule) => schedule.task);
    expect(await listed()).not.toContain(nightly.id);
    emulator.deploy([shipped, nightly]);
    expect(await listed()).toContain(nightly.id);
    emulator.deploy([shipped]);
    expect(await listed()).not.toContain(nightly.id);
    // Imperative schedules need the scheduled task in the deployed version too.
    await expect(
      schedules.create({ task: nightly.id, cron: "0 4 * * *", deduplicationKey: "workers-k" }),
    ).rejects.toThrow(/not found/);
  });
});

describe("execution controls", () => {
  const gates = new Map<string, () => void>();
  const gated = task({
    id: "workers-gated",
    run: (payload: { key: string }, { signal }) =>
      new Promise<string>((resolve) => {
        gates.set(payload.key, () => resolve(`released ${payload.key}`));
        signal.addEventListener("abort", () => resolve("aborted"));
      }),
  });
  /** Lets the attempt for `key` finish, once its run function has started. */
  const release = async (key: string) => (await emulator.waitFor(() => gates.get(key)))();

  it("pauses and resumes starting attempts; a paused run stays QUEUED", async () => {
    emulator.deploy([gated]);
    emulator.pauseExecution();
    const handle = await gated.trigger({ key: "paused" });
    await sleep(200);
    expect(emulator.getRun(handle.id)?.status).toBe("QUEUED");
    emulator.resumeExecution();
    await emulator.waitForRun(handle.id, { until: (run) => run.status === "EXECUTING" });
    await release("paused");
    expect((await emulator.waitForRun(handle.id)).output).toBe("released paused");
  });

  it("lets a paused emulator finish the attempts already executing", async () => {
    emulator.deploy([gated]);
    const handle = await gated.trigger({ key: "draining" });
    await emulator.waitFor(() => gates.get("draining"));
    emulator.pauseExecution();
    await release("draining");
    expect((await emulator.waitForRun(handle.id)).status).toBe("COMPLETED");
    emulator.resumeExecution();
  });

  it("changes the environment's concurrency limit", async () => {
    emulator.deploy([gated]);
    emulator.setConcurrencyLimit(1);
    try {
      const first = await gated.trigger({ key: "one" });
      const second = await gated.trigger({ key: "two" });
      await emulator.waitForRun(first.id, { until: (run) => run.status === "EXECUTING" });
      await sleep(200);
      expect(emulator.getRun(second.id)?.status).toBe("QUEUED");
      await release("one");
      await emulator.waitForRun(second.id, { until: (run) => run.status === "EXECUTING" });
      await release("two");
      await emulator.waitForRun(second.id);
    } finally {
      emulator.setConcurrencyLimit(100);
    }
    expect(() => emulator.setConcurrencyLimit(0)).toThrow(/positive integer/);
  });
});

describe("crashed machines", () => {
  const calls: number[] = [];
  const fragile = task({
    id: "workers-fragile",
    retry: { maxAttempts: 3, minTimeoutInMs: 10_000 },
    run: (_payload: { n: number }, { ctx, signal }) => {
      calls.push(ctx.attempt.number);
      if (ctx.attempt.number > 1) return Promise.resolve("recovered");
      // The first attempt hangs until its machine dies, then reports a result nobody hears.
      return new Promise<string>((resolve) => signal.addEventListener("abort", () => resolve("lost")));
    },
  });
  const fragileOnce = task({
    id: "workers-fragile-once",
    retry: { maxAttempts: 1 },
    run: (_payload: { n: number }, { signal }) =>
      new Promise<string>((resolve) => signal.addEventListener("abort", () => resolve("lost"))),
  });

  it("fails a crashed attempt as stalled after the heartbeat timeout and retries it 250 ms later", async () => {
    emulator.deploy([fragile]);
    const handle = await fragile.trigger({ n: 1 });
    await emulator.waitForRun(handle.id, { until: (run) => run.status === "EXECUTING" });
    const crashedAt = Date.now();
    const crashed = emulator.crashExecutingAttempts();
    expect(crashed.map((attempt) => [attempt.runId, attempt.outcome])).toEqual([[handle.id, "crashed"]]);
    await sleep(100);
    // The lost attempt's "lost" answer is ignored: the run still waits for its heartbeat check.
    expect(emulator.getRun(handle.id)?.status).toBe("EXECUTING");
    const run = await emulator.waitForRun(handle.id);
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toBe("recovered");
    expect(calls).toEqual([1, 2]);
    const [first, second] = run.attempts;
    expect(first).toMatchObject({
      outcome: "crashed",
      error: { type: "INTERNAL_ERROR", code: "TASK_RUN_STALLED_EXECUTING" },
      retryDelayMs: 250,
    });
    // Not the task's 10 s backoff: the heartbeat timeout (300 ms) plus the engine's 250 ms.
    expect(second!.startedAt.getTime() - crashedAt).toBeGreaterThanOrEqual(500);
    expect(second!.startedAt.getTime() - crashedAt).toBeLessThan(3_000);
    expect((await runs.retrieve(handle.id)).attemptCount).toBe(2);
  });

  it("fails the run (COMPLETED_WITH_ERRORS, reported FAILED) when the crashed attempt was its last", async () => {
    emulator.deploy([fragileOnce]);
    const handle = await tasks.trigger<typeof fragileOnce>(fragileOnce.id, { n: 1 });
    await emulator.waitForRun(handle.id, { until: (run) => run.status === "EXECUTING" });
    emulator.crashExecutingAttempts();
    const run = await emulator.waitForRun(handle.id);
    expect(run.status).toBe("FAILED");
    expect(run.error).toMatchObject({ code: "TASK_RUN_STALLED_EXECUTING" });
    const retrieved = await runs.retrieve(handle.id);
    expect(retrieved.isFailed).toBe(true);
    expect(retrieved.attemptCount).toBe(1);
  });

  it("does not retry a stalled attempt in a DEVELOPMENT environment (trigger dev): the run ends CANCELED", async () => {
    const development = await startTriggerEmulator({
      heartbeatTimeoutMs: 300,
      environmentType: "DEVELOPMENT",
    });
    try {
      development.deploy([fragile]);
      const client = new TriggerClient(development.sdkConfig);
      const before = calls.length;
      const handle = await client.tasks.trigger<typeof fragile>(fragile.id, { n: 3 });
      await development.waitForRun(handle.id, { until: (run) => run.status === "EXECUTING" });
      development.crashExecutingAttempts();
      const run = await development.waitForRun(handle.id);
      expect(run.status).toBe("CANCELED");
      expect(run.error).toMatchObject({ type: "INTERNAL_ERROR", code: "TASK_RUN_STALLED_EXECUTING" });
      expect(run.attempts).toHaveLength(1);
      await sleep(400);
      expect(calls.length - before).toBe(1);
      expect(development.requests.filter((request) => request.status >= 500)).toEqual([]);
    } finally {
      await development.close();
    }
  });

  it("keeps a run cancelled while its crashed attempt waited for the heartbeat check", async () => {
    emulator.deploy([fragile]);
    const handle = await fragile.trigger({ n: 2 });
    await emulator.waitForRun(handle.id, { until: (run) => run.status === "EXECUTING" });
    emulator.crashExecutingAttempts();
    await runs.cancel(handle.id);
    await sleep(700);
    const run = emulator.getRun(handle.id);
    expect(run?.status).toBe("CANCELED");
    expect(run?.attempts).toHaveLength(1);
  });
});
