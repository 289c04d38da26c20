// Load the emulator before the SDK: it installs the task catalog and the run-metadata router
// that the SDK's `metadata.parent` captures when it loads.
import "../src/index.js";
import {
  AbortTaskRunError,
  AuthenticationError,
  batch,
  configure,
  idempotencyKeys,
  metadata,
  NotFoundError,
  queue,
  runs,
  schedules,
  schemaTask,
  task,
  tasks,
  UnprocessableEntityError,
} from "@trigger.dev/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { assertTasksRegistered, startTriggerEmulator, type TriggerEmulator } from "../src/index.js";

// Retry delays run 100× faster than the SDK computes them; the attempt log keeps both values.
const TIME_SCALE = 0.01;

let emulator: TriggerEmulator;

beforeAll(async () => {
  emulator = await startTriggerEmulator({ timeScale: TIME_SCALE, metadataFlushIntervalMs: 100 });
  configure(emulator.sdkConfig);
});

afterAll(async () => {
  // The SDK parsed every answer with its zod schemas; the emulator also checks each answer
  // against the same schema and would have answered 500 on a mismatch.
  expect(emulator.requests.filter((request) => request.status >= 500)).toEqual([]);
  await emulator.close();
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The trigger answer's `isCached` reaches the handle at runtime, but RunHandle's type omits it. */
const isCached = (handle: object) => (handle as { isCached?: boolean }).isCached;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `POST /api/v1/runs/{id}/tags` as the SDK's ApiClient.addTags sends it. */
async function tags(runId: string, added: string | string[]): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${emulator.url}/api/v1/runs/${runId}/tags`, {
    method: "POST",
    headers: { authorization: `Bearer ${emulator.secretKey}`, "content-type": "application/json" },
    body: JSON.stringify({ tags: added }),
  });
  return { status: response.status, body: await response.json() };
}

describe("triggering and reading runs", () => {
  const seen: { attempt: number; runId: string; env: string; queue: string }[] = [];
  const refreshed: unknown[] = [];
  const greet = task({
    id: "greet",
    run: async (payload: { name: string; at: Date }, { ctx }) => {
      seen.push({
        attempt: ctx.attempt.number,
        runId: ctx.run.id,
        env: ctx.environment.type,
        queue: ctx.queue.name,
      });
      metadata.set("progress", 0.5).append("steps", "greeted");
      await metadata.flush();
      await metadata.refresh(); // GET /api/v1/runs/{id}/metadata
      refreshed.push(metadata.current());
      metadata.increment("count", 2).set("progress", 1);
      return { message: `hello ${payload.name}`, year: payload.at.getUTCFullYear() };
    },
  });

  it("executes a task registered with task() and retrieves output, payload and metadata", async () => {
    assertTasksRegistered(greet);
    const handle = await tasks.trigger<typeof greet>(
      "greet",
      { name: "ada", at: new Date("2020-05-01T00:00:00Z") },
      { tags: ["b-tag", "a-tag"], metadata: { seeded: true } },
    );
    expect(isCached(handle)).toBe(false);
    expect(handle.publicAccessToken).toEqual(expect.any(String));
    await emulator.waitForRun(handle.id);

    const run = await runs.retrieve(handle);
    expect(run.status).toBe("COMPLETED");
    expect(run.isSuccess).toBe(true);
    expect(run.isCompleted).toBe(true);
    expect(run.output).toEqual({ message: "hello ada", year: 2020 });
    // The SDK sent the payload as superjson (the Date survived to the task); the API answers JSON.
    expect(run.payload).toEqual({ name: "ada", at: "2020-05-01T00:00:00.000Z" });
    expect(run.tags).toEqual(["a-tag", "b-tag"]);
    expect(run.attemptCount).toBe(1);
    expect(run.triggerFunction).toBe("trigger");
    // Changes made after the last explicit flush arrive with the attempt's completion.
    expect(run.metadata).toEqual({ seeded: true, progress: 1, steps: ["greeted"], count: 2 });
    expect(seen).toContainEqual({ attempt: 1, runId: handle.id, env: "PRODUCTION", queue: "task/greet" });
    expect(refreshed[0]).toEqual({ seeded: true, progress: 0.5, steps: ["greeted"] });
  });

  it("lists runs with filters and cursor pagination", async () => {
    const ids: string[] = [];
    for (const name of ["a", "b", "c", "d", "e"]) {
      const { id } = await tasks.trigger<typeof greet>(
        "greet",
        { name, at: new Date() },
        { tags: ["listed"] },
      );
      ids.push(id);
    }
    await Promise.all(ids.map((id) => emulator.waitForRun(id)));
    const listed: string[] = [];
    for await (const run of runs.list({
      taskIdentifier: "greet",
      tag: "listed",
      status: ["COMPLETED"],
      limit: 2,
    })) {
      expect(run.env.name).toBe("prod");
      listed.push(run.id);
    }
    // Newest first, across three pages of two.
    expect(listed).toEqual([...ids].reverse());
    const firstPage = await runs.list({ tag: "listed", limit: 2 });
    expect(firstPage.data).toHaveLength(2);
    expect(firstPage.hasNextPage()).toBe(true);
    expect((await runs.list({ tag: "no-such-tag" })).data).toEqual([]);
    // The webapp validates page[size] as 1..100: a larger page is a 400, not a shorter page.
    expect((await runs.list({ tag: "listed", limit: 100 })).data).toHaveLength(5);
    await expect(runs.list({ tag: "listed", limit: 101 })).rejects.toMatchObject({ status: 400 });
  });

  it("rejects a wrong secret key with 401", async () => {
    const wrong = { clientConfig: { baseURL: emulator.url, secretKey: "tr_dev_wrong" } };
    await expect(tasks.trigger("greet", { name: "x", at: new Date() }, {}, wrong)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  it("answers 404 for an unknown run", async () => {
    await expect(runs.retrieve("run_doesnotexist")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("offloads a payload of 128 KiB or more through the packet endpoints", async () => {
    const big = task({ id: "big-payload", run: async (payload: { blob: string }) => payload.blob.length });
    const blob = "x".repeat(200 * 1024);
    const handle = await tasks.trigger<typeof big>("big-payload", { blob });
    await emulator.waitForRun(handle.id);
    expect((await runs.retrieve(handle)).output).toBe(blob.length);
    expect(emulator.requests.some((request) => request.path.startsWith("/api/v2/packets/"))).toBe(true);
  });
});

describe("the task catalog", () => {
  it("parks a run whose task is not registered as PENDING_VERSION, and runs it once it is", async () => {
    const handle = await tasks.trigger("registered-late", { n: 1 });
    await emulator.waitForRun(handle.id, { until: (run) => run.status === "PENDING_VERSION" });
    expect((await runs.retrieve(handle)).isQueued).toBe(true);
    task({ id: "registered-late", run: async (payload: { n: number }) => payload.n + 1 });
    emulator.pump();
    expect((await emulator.waitForRun(handle.id)).output).toBe(2);
  });

  it("fails loudly on triggerAndWait, which it does not emulate", async () => {
    const waiter = task({
      id: "waits-for-child",
      run: async () => {
        await waiterChild.triggerAndWait();
      },
    });
    const waiterChild = task({ id: "waited-child", run: async () => "done" });
    const run = await emulator.waitForRun((await waiter.trigger()).id);
    expect(run.status).toBe("FAILED");
    expect(run.error).toMatchObject({ message: expect.stringContaining("triggerAndWait() is not emulated") });
  });

  it("stops a run past its maxDuration as TIMED_OUT", async () => {
    const endless = task({
      id: "endless",
      maxDuration: 1,
      run: async (_payload: Record<string, never>, { signal }) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
      },
    });
    const run = await emulator.waitForRun((await endless.trigger({})).id);
    expect(run.status).toBe("TIMED_OUT");
    expect(run.error).toMatchObject({ type: "INTERNAL_ERROR", code: "MAX_DURATION_EXCEEDED" });
    expect((await runs.retrieve(run.id)).isCompleted).toBe(false);
  });
});

describe("batches", () => {
  const double = task({ id: "double", run: async (payload: { n: number }) => payload.n * 2 });

  it("batch-triggers through the two-phase API and retrieves the batch and its runs", async () => {
    const handle = await tasks.batchTrigger<typeof double>("double", [
      { payload: { n: 1 } },
      { payload: { n: 2 }, options: { tags: ["second"] } },
      { payload: { n: 3 } },
    ]);
    expect(handle.runCount).toBe(3);
    const retrieved = await batch.retrieve(handle.batchId);
    expect(retrieved.status).toBe("COMPLETED");
    expect(retrieved.runs).toHaveLength(3);
    const finished = await Promise.all(retrieved.runs.map((id) => emulator.waitForRun(id)));
    expect(finished.map((run) => run.output)).toEqual([2, 4, 6]);
    const listed = await runs.list({ batch: handle.batchId });
    expect(listed.data.map((run) => run.id).sort()).toEqual([...retrieved.runs].sort());
    const second = await runs.retrieve(retrieved.runs[1] ?? "");
    expect(second.batchId).toBe(handle.batchId);
    expect(second.triggerFunction).toBe("batchTrigger");
    expect(second.tags).toEqual(["second"]);
  });

  it("returns the earlier batch for a repeated batch idempotency key", async () => {
    const key = await idempotencyKeys.create("batch-key", { scope: "global" });
    const first = await double.batchTrigger([{ payload: { n: 5 } }], { idempotencyKey: key });
    const again = await double.batchTrigger([{ payload: { n: 5 } }], { idempotencyKey: key });
    expect(again.batchId).toBe(first.batchId);
  });
});

describe("retries", () => {
  const attemptsSeen: number[] = [];
  let onStartCalls = 0;
  let onFailureCalls = 0;
  const flaky = task({
    id: "always-fails",
    retry: { maxAttempts: 4, minTimeoutInMs: 1000, maxTimeoutInMs: 5000, factor: 3, randomize: false },
    onStart: async () => {
      onStartCalls++;
    },
    onFailure: async () => {
      onFailureCalls++;
    },
    run: async (_payload: { label: string }, { ctx }) => {
      attemptsSeen.push(ctx.attempt.number);
      throw new Error(`attempt ${ctx.attempt.number} failed`);
    },
  });

  it("retries as the task's policy says, with Trigger.dev's backoff, then fails", async () => {
    const handle = await flaky.trigger({ label: "policy" });
    const run = await emulator.waitForRun(handle.id);
    expect(run.status).toBe("FAILED");
    expect(attemptsSeen).toEqual([1, 2, 3, 4]);
    // min(maxTimeout, minTimeout · factor^(attempt-1)): 1000, 3000, 9000 → capped at 5000.
    expect(run.attempts.map((attempt) => attempt.retryDelayMs)).toEqual([1000, 3000, 5000, undefined]);
    expect(run.attempts.map((attempt) => attempt.scaledRetryDelayMs)).toEqual([10, 30, 50, undefined]);
    expect(onStartCalls).toBe(1); // onStart runs on the first attempt only
    expect(onFailureCalls).toBe(1); // onFailure runs once, when no retry follows
    const retrieved = await runs.retrieve(handle);
    expect(retrieved.isFailed).toBe(true);
    expect(retrieved.attemptCount).toBe(4);
    expect(retrieved.error?.message).toBe("attempt 4 failed");
  });

  it("lets the maxAttempts trigger option override the task's", async () => {
    const handle = await flaky.trigger({ label: "override" }, { maxAttempts: 2 });
    const run = await emulator.waitForRun(handle.id);
    expect(run.attempts).toHaveLength(2);
    // The override did not leak into the task's policy for later runs.
    const next = await emulator.waitForRun((await flaky.trigger({ label: "after" })).id);
    expect(next.attempts).toHaveLength(4);
  });

  it("randomizes delays between 1× and 2× when randomize is on", async () => {
    const jittery = task({
      id: "jittery",
      retry: { maxAttempts: 2, minTimeoutInMs: 1000, factor: 2, randomize: true },
      run: async () => {
        throw new Error("nope");
      },
    });
    const run = await emulator.waitForRun((await jittery.trigger()).id);
    const delay = run.attempts[0]?.retryDelayMs ?? 0;
    expect(delay).toBeGreaterThanOrEqual(1000);
    expect(delay).toBeLessThan(2000);
  });

  it("does not retry a task without a retry policy", async () => {
    const once = task({
      id: "no-retry-policy",
      run: async () => {
        throw new Error("once");
      },
    });
    const run = await emulator.waitForRun((await once.trigger()).id);
    expect(run.status).toBe("FAILED");
    expect(run.attempts).toHaveLength(1);
  });

  it("stops at once on AbortTaskRunError", async () => {
    const aborting = task({
      id: "aborting",
      retry: { maxAttempts: 5, minTimeoutInMs: 10 },
      run: async () => {
        throw new AbortTaskRunError("bad input, don't retry");
      },
    });
    const run = await emulator.waitForRun((await aborting.trigger()).id);
    expect(run.status).toBe("FAILED");
    expect(run.attempts).toHaveLength(1);
    expect(run.attempts[0]?.skippedRetrying).toBe(true);
    expect((await runs.retrieve(run.id)).error?.name).toBe("AbortTaskRunError");
  });

  it("retries at the time catchError returns in retryAt", async () => {
    const catchErrorSaw: { retryDelayInMs?: number }[] = [];
    const rateLimited = task({
      id: "retry-at",
      retry: { maxAttempts: 3, minTimeoutInMs: 100, factor: 2, randomize: false },
      run: async (_payload: Record<string, never>, { ctx }) => {
        if (ctx.attempt.number === 1) throw new Error("429 from upstream");
        return "second time lucky";
      },
      catchError: async ({ retryDelayInMs }) => {
        catchErrorSaw.push({ retryDelayInMs });
        return { retryAt: new Date(Date.now() + 4000) };
      },
    });
    const run = await emulator.waitForRun((await rateLimited.trigger({})).id);
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toBe("second time lucky");
    expect(catchErrorSaw).toEqual([{ retryDelayInMs: 100 }]); // the policy's default, which retryAt replaced
    const delay = run.attempts[0]?.retryDelayMs ?? 0;
    expect(delay).toBeGreaterThan(3900);
    expect(delay).toBeLessThanOrEqual(4000);
    expect(run.attempts[0]?.scaledRetryDelayMs).toBeCloseTo(delay * TIME_SCALE);
  });

  it("gives up when catchError returns skipRetrying", async () => {
    const skipping = task({
      id: "skip-retrying",
      retry: { maxAttempts: 5, minTimeoutInMs: 10 },
      catchError: async () => ({ skipRetrying: true }),
      run: async () => {
        throw new Error("fatal");
      },
    });
    const run = await emulator.waitForRun((await skipping.trigger()).id);
    expect(run.attempts).toHaveLength(1);
    expect(run.status).toBe("FAILED");
  });

  it("fails a schemaTask run whose payload does not parse, without retrying", async () => {
    const typed = schemaTask({
      id: "typed",
      schema: z.object({ email: z.email(), count: z.number().default(1) }),
      retry: { maxAttempts: 3, minTimeoutInMs: 10 },
      run: async (payload) => `${payload.email}×${payload.count}`,
    });
    const good = await emulator.waitForRun(
      (await tasks.trigger<typeof typed>("typed", { email: "a@b.co" })).id,
    );
    expect(good.output).toBe("a@b.co×1");
    const bad = await emulator.waitForRun((await tasks.trigger("typed", { email: "not-an-email" })).id);
    expect(bad.status).toBe("FAILED");
    expect(bad.attempts).toHaveLength(1);
    expect(bad.error).toMatchObject({ type: "INTERNAL_ERROR", code: "TASK_INPUT_ERROR" });
  });
});

describe("idempotency", () => {
  let releaseSlow = deferred();
  const slow = task({
    id: "idem-slow",
    run: async (payload: { v: number }) => {
      await releaseSlow.promise;
      return payload.v;
    },
  });
  const failing = task({
    id: "idem-failing",
    run: async () => {
      throw new Error("failed run");
    },
  });

  it("returns the existing run for a repeated key, in flight and after success", async () => {
    releaseSlow = deferred();
    const first = await slow.trigger({ v: 1 }, { idempotencyKey: "order-1" });
    const inFlight = await slow.trigger({ v: 2 }, { idempotencyKey: "order-1" });
    expect(inFlight.id).toBe(first.id);
    expect(isCached(inFlight)).toBe(true);
    releaseSlow.resolve();
    expect((await emulator.waitForRun(first.id)).output).toBe(1);
    // Successful runs keep their key (DOC:idempotency.mdx "Failed runs and idempotency").
    const afterSuccess = await slow.trigger({ v: 3 }, { idempotencyKey: "order-1" });
    expect(afterSuccess.id).toBe(first.id);
    // Keys are scoped to the task: another task with the same key gets its own run.
    const otherTask = await tasks.trigger(
      "greet",
      { name: "k", at: new Date() },
      { idempotencyKey: "order-1" },
    );
    expect(otherTask.id).not.toBe(first.id);
  });

  it("clears the key of a failed run, so the next trigger runs again", async () => {
    const first = await failing.trigger(undefined, { idempotencyKey: "charge-7" });
    await emulator.waitForRun(first.id);
    expect(emulator.getRun(first.id)?.status).toBe("FAILED");
    const second = await failing.trigger(undefined, { idempotencyKey: "charge-7" });
    expect(second.id).not.toBe(first.id);
    expect(isCached(second)).toBe(false);
    expect(emulator.getRun(first.id)?.idempotencyKey).toBeUndefined();
  });

  it("resets a key with idempotencyKeys.reset", async () => {
    releaseSlow = deferred();
    releaseSlow.resolve();
    const key = await idempotencyKeys.create("reset-me");
    const first = await slow.trigger({ v: 1 }, { idempotencyKey: key });
    await emulator.waitForRun(first.id);
    await idempotencyKeys.reset("idem-slow", key);
    const second = await slow.trigger({ v: 2 }, { idempotencyKey: key });
    expect(second.id).not.toBe(first.id);
    await expect(
      idempotencyKeys.reset("idem-slow", "never-used", { scope: "global" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("expires a key after idempotencyKeyTTL", async () => {
    releaseSlow = deferred();
    releaseSlow.resolve();
    const first = await slow.trigger({ v: 1 }, { idempotencyKey: "short-lived", idempotencyKeyTTL: "1s" });
    expect(
      (await slow.trigger({ v: 1 }, { idempotencyKey: "short-lived", idempotencyKeyTTL: "1s" })).id,
    ).toBe(first.id);
    await sleep(1100);
    const later = await slow.trigger({ v: 1 }, { idempotencyKey: "short-lived", idempotencyKeyTTL: "1s" });
    expect(later.id).not.toBe(first.id);
  });
});

describe("runs inside runs", () => {
  const child = task({
    id: "child",
    run: async (payload: { from: string }) => {
      metadata.parent.set("childSaw", payload.from);
      return `child of ${payload.from}`;
    },
  });
  const parent = task({
    id: "parent",
    run: async (_payload: Record<string, never>, { ctx }) => {
      // A raw key is scoped to this run: each parent run gets its own child.
      const key = await idempotencyKeys.create("the-child");
      const first = await child.trigger({ from: ctx.run.id }, { idempotencyKey: key });
      const again = await child.trigger({ from: ctx.run.id }, { idempotencyKey: key });
      return { childId: first.id, sameChild: again.id === first.id };
    },
  });

  it("lets a task trigger another through the SDK, with lineage and run-scoped keys", async () => {
    const one = await emulator.waitForRun((await parent.trigger({})).id);
    const two = await emulator.waitForRun((await parent.trigger({})).id);
    const oneOutput = one.output as { childId: string; sameChild: boolean };
    const twoOutput = two.output as { childId: string; sameChild: boolean };
    expect(oneOutput.sameChild).toBe(true);
    expect(oneOutput.childId).not.toBe(twoOutput.childId);
    await emulator.waitForRun(oneOutput.childId);
    const childRun = await runs.retrieve(oneOutput.childId);
    expect(childRun.relatedRuns.parent?.id).toBe(one.id);
    expect(childRun.depth).toBe(1);
    expect(childRun.output).toBe(`child of ${one.id}`);
    await emulator.waitFor(() => emulator.getRun(one.id)?.metadata?.childSaw === one.id);
    const parentRun = await runs.retrieve(one.id);
    expect(parentRun.relatedRuns.children?.map((run) => run.id)).toEqual([oneOutput.childId]);
  });
});

describe("delays, ttl, cancel, replay", () => {
  let release = deferred();
  const started: string[] = [];
  const blocking = task({
    id: "blocking",
    queue: { concurrencyLimit: 1 },
    run: async (payload: { label: string }) => {
      started.push(payload.label);
      if (payload.label === "blocker") await release.promise;
      return payload.label;
    },
  });

  it("holds a delayed run as DELAYED until its time", async () => {
    const handle = await blocking.trigger({ label: "delayed" }, { delay: "1s" });
    const early = await runs.retrieve(handle);
    expect(early.status).toBe("DELAYED");
    expect(early.isQueued).toBe(true);
    const due = early.delayedUntil?.getTime() ?? 0;
    expect(due - early.createdAt.getTime()).toBeGreaterThanOrEqual(999);
    const run = await emulator.waitForRun(handle.id);
    expect(run.status).toBe("COMPLETED");
    expect(run.startedAt?.getTime()).toBeGreaterThanOrEqual(due - 5);
  });

  it("reschedules a delayed run", async () => {
    const handle = await blocking.trigger({ label: "rescheduled" }, { delay: "1h" });
    const moved = await runs.reschedule(handle.id, { delay: new Date(Date.now() + 200) });
    expect(moved.status).toBe("DELAYED");
    expect((await emulator.waitForRun(handle.id)).status).toBe("COMPLETED");
    await expect(runs.reschedule(handle.id, { delay: "1h" })).rejects.toBeInstanceOf(
      UnprocessableEntityError,
    );
  });

  it("starts runs by priority, and expires a run not started within its ttl", async () => {
    release = deferred();
    started.length = 0;
    const blocker = await blocking.trigger({ label: "blocker" });
    await emulator.waitForRun(blocker.id, { until: (run) => run.status === "EXECUTING" });
    const low = await blocking.trigger({ label: "low" });
    const high = await blocking.trigger({ label: "high" }, { priority: 60 });
    const expiring = await blocking.trigger({ label: "expiring" }, { ttl: "1s" });
    expect((await runs.retrieve(low)).status).toBe("QUEUED");
    const expired = await emulator.waitForRun(expiring.id);
    expect(expired.status).toBe("EXPIRED");
    release.resolve();
    await Promise.all([low, high].map((handle) => emulator.waitForRun(handle.id)));
    expect(started).toEqual(["blocker", "high", "low"]);
    expect((await runs.retrieve(expiring)).expiredAt).toBeInstanceOf(Date);
  });

  it("cancels an executing run: its abort signal fires and onCancel runs", async () => {
    const observed = { aborted: false, onCancel: false };
    const cancellable = task({
      id: "cancellable",
      onCancel: async () => {
        observed.onCancel = true;
      },
      run: async (_payload: Record<string, never>, { signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        observed.aborted = signal.aborted;
        return "ignored";
      },
    });
    const handle = await cancellable.trigger({});
    await emulator.waitForRun(handle.id, { until: (run) => run.status === "EXECUTING" });
    await runs.cancel(handle.id);
    const run = await runs.retrieve(handle);
    expect(run.status).toBe("CANCELED");
    expect(run.isCancelled).toBe(true);
    await emulator.waitFor(() => observed.aborted && observed.onCancel);
    expect(emulator.getRun(handle.id)?.output).toBeUndefined();
    expect(emulator.attemptsFor(handle.id)[0]?.outcome).toBe("canceled");
  });

  it("cancels a delayed run before it starts, and leaves finished runs alone", async () => {
    const handle = await blocking.trigger({ label: "never" }, { delay: "1h" });
    await runs.cancel(handle.id);
    expect((await runs.retrieve(handle)).status).toBe("CANCELED");
    expect(emulator.attemptsFor(handle.id)).toHaveLength(0);
    const done = await blocking.trigger({ label: "done" });
    await emulator.waitForRun(done.id);
    await runs.cancel(done.id);
    expect((await runs.retrieve(done)).status).toBe("COMPLETED");
  });

  it("replays a run with its payload and its tags as they are now, ignoring the request's overrides as the webapp does", async () => {
    const original = await blocking.trigger({ label: "original" }, { tags: ["replayed"] });
    await emulator.waitForRun(original.id);
    const replay = await runs.replay(original.id);
    expect(replay.id).not.toBe(original.id);
    const replayed = await emulator.waitForRun(replay.id);
    expect(replayed.output).toBe("original");
    expect(replayed.tags).toEqual(["replayed"]);
    expect(replayed.replayedFromRunId).toBe(original.id);
    await tags(original.id, ["added:later"]);
    const overridden = await runs.replay(original.id, { payload: { label: "changed" }, tags: ["override"] });
    const second = await emulator.waitForRun(overridden.id);
    expect(second.output).toBe("original");
    expect(second.tags).toEqual(["replayed", "added:later"]);
  });

  it("adds tags to any run, finished or not: new ones only, at most 10, 404 for an unknown run", async () => {
    const run = await blocking.trigger({ label: "tagged" }, { tags: ["a"] });
    await emulator.waitForRun(run.id);
    expect(await tags(run.id, ["a", "b", " "])).toEqual({
      status: 200,
      body: { message: "Successfully set 1 new tags." },
    });
    expect(await tags(run.id, "b")).toEqual({ status: 200, body: { message: "No new tags to add" } });
    expect((await runs.retrieve(run.id)).tags).toEqual(["a", "b"]);
    const many = Array.from({ length: 9 }, (_, n) => `t${n}`);
    expect((await tags(run.id, many)).status).toBe(422);
    expect((await runs.retrieve(run.id)).tags).toEqual(["a", "b"]);
    expect((await tags("run_doesnotexist0000000000", ["x"])).status).toBe(404);
  });
});

describe("concurrency", () => {
  it("never runs more than the queue's concurrencyLimit at once", async () => {
    let current = 0;
    let peak = 0;
    const serial = task({
      id: "serial",
      queue: { concurrencyLimit: 2 },
      run: async () => {
        current++;
        peak = Math.max(peak, current);
        await sleep(60);
        current--;
      },
    });
    const handle = await serial.batchTrigger(Array.from({ length: 6 }, () => ({ payload: undefined })));
    const { runs: ids } = await batch.retrieve(handle.batchId);
    await Promise.all(ids.map((id) => emulator.waitForRun(id)));
    expect(peak).toBe(2);
  });

  it("gives each concurrencyKey its own copy of the queue's limit", async () => {
    const tenantQueue = queue({ name: "per-tenant", concurrencyLimit: 1 });
    const running = new Map<string, number>();
    const peaks = { perTenant: 0, total: 0 };
    const perTenant = task({
      id: "per-tenant-work",
      queue: tenantQueue,
      run: async (payload: { tenant: string }) => {
        running.set(payload.tenant, (running.get(payload.tenant) ?? 0) + 1);
        peaks.perTenant = Math.max(peaks.perTenant, ...running.values());
        peaks.total = Math.max(
          peaks.total,
          [...running.values()].reduce((a, b) => a + b, 0),
        );
        await sleep(150);
        running.set(payload.tenant, (running.get(payload.tenant) ?? 1) - 1);
      },
    });
    const handles = await Promise.all(
      ["a", "a", "b", "b"].map((tenant) => perTenant.trigger({ tenant }, { concurrencyKey: tenant })),
    );
    await Promise.all(handles.map((handle) => emulator.waitForRun(handle.id)));
    expect(peaks).toEqual({ perTenant: 1, total: 2 });
    expect((await runs.retrieve(handles[0]?.id ?? "")).status).toBe("COMPLETED");
  });
});

describe("schedules", () => {
  const ticks: {
    scheduleId: string;
    type: string;
    timestamp: Date;
    timezone: string;
    externalId?: string;
  }[] = [];
  const record = async (payload: (typeof ticks)[number]) => {
    ticks.push(payload);
  };
  schedules.task({
    id: "paris-morning",
    cron: { pattern: "0 9 * * *", timezone: "Europe/Paris" },
    run: record,
  });
  schedules.task({ id: "imperative-target", run: record });

  const hourIn = (date: Date, timeZone: string) =>
    new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(date);

  it("creates a declarative schedule from schedules.task({ cron }) and fires it in its timezone", async () => {
    emulator.syncDeclarativeSchedules();
    const list = await schedules.list();
    const declarative = list.data.find((schedule) => schedule.task === "paris-morning");
    expect(declarative).toMatchObject({ type: "DECLARATIVE", timezone: "Europe/Paris", active: true });
    expect(declarative?.generator.expression).toBe("0 9 * * *");
    const nextRun = declarative?.nextRun ?? new Date(0);
    expect(hourIn(nextRun, "Europe/Paris")).toBe("09:00");

    const run = await emulator.fireSchedule(declarative?.id ?? "");
    await emulator.waitForRun(run.id);
    const tick = ticks.find((t) => t.scheduleId === declarative?.id);
    expect(tick?.type).toBe("DECLARATIVE");
    expect(tick?.timestamp).toEqual(nextRun); // a Date in the task: the payload is superjson
    expect(tick?.timezone).toBe("Europe/Paris");
    const retrieved = await runs.retrieve(run.id);
    expect(retrieved.schedule?.id).toBe(declarative?.id);
    expect((await schedules.retrieve(declarative?.id ?? "")).nextRun?.getTime()).toBeGreaterThan(
      nextRun.getTime(),
    );
  });

  it("creates, deduplicates, updates, toggles and deletes imperative schedules", async () => {
    const created = await schedules.create({
      task: "imperative-target",
      cron: "30 6 * * 1",
      timezone: "America/New_York",
      deduplicationKey: "user-42-weekly",
      externalId: "user-42",
    });
    expect(created).toMatchObject({
      type: "IMPERATIVE",
      deduplicationKey: "user-42-weekly",
      externalId: "user-42",
    });
    expect(hourIn(created.nextRun ?? new Date(0), "America/New_York")).toBe("06:30");

    const deduplicated = await schedules.create({
      task: "imperative-target",
      cron: "0 7 * * 1",
      timezone: "America/New_York",
      deduplicationKey: "user-42-weekly",
      externalId: "user-42",
    });
    expect(deduplicated.id).toBe(created.id);
    expect(deduplicated.generator.expression).toBe("0 7 * * 1");

    const run = await emulator.fireSchedule(created.id);
    await emulator.waitForRun(run.id);
    const tick = ticks.find((t) => t.scheduleId === created.id);
    expect(tick).toMatchObject({ type: "IMPERATIVE", externalId: "user-42", timezone: "America/New_York" });
    expect(hourIn(tick?.timestamp ?? new Date(0), "America/New_York")).toBe("07:00");
    expect((await runs.list({ schedule: created.id })).data.map((r) => r.id)).toEqual([run.id]);

    const updated = await schedules.update(created.id, { task: "imperative-target", cron: "15 8 * * *" });
    expect(updated.timezone).toBe("UTC");
    expect(hourIn(updated.nextRun ?? new Date(0), "UTC")).toBe("08:15");
    expect((await schedules.deactivate(created.id)).active).toBe(false);
    expect((await schedules.retrieve(created.id)).nextRun).toBeNull();
    expect((await schedules.activate(created.id)).active).toBe(true);

    const page = await schedules.list({ perPage: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.pagination.count).toBeGreaterThanOrEqual(2);
    expect(await schedules.del(created.id)).toEqual({ id: created.id });
    await expect(schedules.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("rejects schedules for non-scheduled tasks, bad crons and bad timezones", async () => {
    const base = { task: "imperative-target", cron: "0 * * * *", deduplicationKey: "bad" };
    await expect(schedules.create({ ...base, task: "greet" })).rejects.toBeInstanceOf(
      UnprocessableEntityError,
    );
    await expect(schedules.create({ ...base, cron: "0 0 * * * *" })).rejects.toBeInstanceOf(
      UnprocessableEntityError,
    );
    await expect(schedules.create({ ...base, timezone: "Mars/Olympus" })).rejects.toBeInstanceOf(
      UnprocessableEntityError,
    );
  });

  it("lists timezones", async () => {
    const { timezones } = await schedules.timezones();
    expect(timezones[0]).toBe("UTC");
    expect(timezones).toContain("Europe/Paris");
    expect((await schedules.timezones({ excludeUtc: true })).timezones).not.toContain("UTC");
  });
});
