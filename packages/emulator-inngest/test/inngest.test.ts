import { Inngest, NonRetriableError, RetryAfterError } from "inngest";
import { serve } from "inngest/edge";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FetchHandlerServer,
  hashSigningKey,
  type InngestExecutor,
  type InngestExecutorOptions,
  signRequestBody,
  startFetchHandlerServer,
  startInngestExecutor,
} from "../src/index.js";

/** The SDK's own logs would drown the test output. */
const silent = { info() {}, warn() {}, error() {}, debug() {} };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh executor plus an Inngest client in cloud mode (signature checks on) pointed at it. */
async function setup(appId: string, options: InngestExecutorOptions = {}) {
  const executor = await startInngestExecutor({ timeScale: 0.001, retryJitter: false, ...options });
  cleanups.push(() => executor.close());
  const inngest = new Inngest({
    id: appId,
    baseUrl: executor.url,
    signingKey: executor.signingKey,
    eventKey: executor.eventKey,
    isDev: false,
    logger: silent,
  });
  return { executor, inngest };
}

/** Hosts `serve()` from inngest/edge on node:http and syncs it. */
async function host(
  executor: InngestExecutor,
  inngest: Inngest,
  functions: Parameters<typeof serve>[0]["functions"],
): Promise<FetchHandlerServer> {
  const app = await startFetchHandlerServer(serve({ client: inngest, functions }));
  cleanups.push(() => app.close());
  await executor.sync(app.url);
  return app;
}

async function sendOne(inngest: Inngest, payload: Parameters<Inngest["send"]>[0]): Promise<string> {
  const { ids } = await inngest.send(payload);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 10 ms until it holds (fails the test after 5 s). */
async function waitUntil(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not met within 5 s");
    await sleep(10);
  }
}

describe("Inngest executor: sync", () => {
  it("syncs in-band through a signed PUT and keeps triggers, retries and cron zones", async () => {
    const { executor, inngest } = await setup("sync-app");
    const plain = inngest.createFunction({ id: "plain", triggers: { event: "app/plain" } }, async () => "ok");
    const limited = inngest.createFunction(
      { id: "limited", retries: 2, triggers: [{ event: "app/a" }, { cron: "TZ=Europe/Paris 0 2 * * *" }] },
      async () => "ok",
    );
    const app = await startFetchHandlerServer(serve({ client: inngest, functions: [plain, limited] }));
    cleanups.push(() => app.close());

    const result = await executor.sync(app.url);
    expect(result.kind).toBe("in_band");
    expect(result.appId).toBe("sync-app");
    const bySlug = Object.fromEntries(result.functions.map((fn) => [fn.slug, fn]));
    expect(bySlug["sync-app-plain"]).toMatchObject({
      functionId: "plain",
      events: ["app/plain"],
      maxAttempts: 5,
    });
    expect(bySlug["sync-app-limited"]).toMatchObject({
      events: ["app/a"],
      crons: ["TZ=Europe/Paris 0 2 * * *"],
      maxAttempts: 3,
    });
    expect(new URL(bySlug["sync-app-plain"]?.url ?? "").searchParams.get("fnId")).toBe("sync-app-plain");
  });

  it("accepts the SDK's out-of-band /fn/register call when anyone PUTs the serve URL", async () => {
    const { executor, inngest } = await setup("oob-app");
    const fn = inngest.createFunction({ id: "f", triggers: { event: "app/f" } }, async () => 1);
    const app = await startFetchHandlerServer(serve({ client: inngest, functions: [fn] }));
    cleanups.push(() => app.close());

    // An unsigned PUT: the SDK registers out-of-band and relays our answer.
    const response = await fetch(app.url, { method: "PUT" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: "Successfully registered", modified: true });
    expect(executor.functions().map((f) => f.slug)).toEqual(["oob-app-f"]);
  });

  it("refuses a sync that uses options it does not emulate, naming them", async () => {
    const { executor, inngest } = await setup("strict-app");
    const fn = inngest.createFunction(
      { id: "debounced", debounce: { period: "5s" }, triggers: { event: "app/d" } },
      async () => 1,
    );
    const app = await startFetchHandlerServer(serve({ client: inngest, functions: [fn] }));
    cleanups.push(() => app.close());
    await expect(executor.sync(app.url)).rejects.toThrow(/debounce/);
    expect(executor.functions()).toEqual([]);
  });
});

describe("Inngest executor: runs", () => {
  it("runs a function for an event and stores its output, readable over REST v1", async () => {
    const { executor, inngest } = await setup("run-app");
    const fn = inngest.createFunction(
      { id: "greet", triggers: { event: "app/greet" } },
      async ({ event, runId, attempt }) => ({ hello: event.data.name, runId, attempt }),
    );
    await host(executor, inngest, [fn]);

    const eventId = await sendOne(inngest, { name: "app/greet", data: { name: "Ada" } });
    const [run] = await executor.waitForEventRuns(eventId);
    expect(run).toMatchObject({ status: "Completed", functionId: "greet" });
    expect(run?.output).toEqual({ hello: "Ada", runId: run?.id, attempt: 0 });

    const auth = { authorization: `Bearer ${hashSigningKey(executor.signingKey)}` };
    const listed = await (await fetch(`${executor.url}/v1/events/${eventId}/runs`, { headers: auth })).json();
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({ run_id: run?.id, event_id: eventId, status: "Completed" });
    const one = await (await fetch(`${executor.url}/v1/runs/${run?.id}`, { headers: auth })).json();
    expect(one.data.output).toEqual(run?.output);
    expect((await fetch(`${executor.url}/v1/runs/${run?.id}`)).status).toBe(401);
  });

  it("memoises step.run: each step body runs once across re-invocations (checkpointing off)", async () => {
    const { executor, inngest } = await setup("steps-app");
    const bodies = { a: 0, b: 0, handler: 0 };
    const fn = inngest.createFunction(
      { id: "two-steps", checkpointing: false, triggers: { event: "app/steps" } },
      async ({ step }) => {
        bodies.handler++;
        const a = await step.run("a", () => {
          bodies.a++;
          return 20;
        });
        const b = await step.run("b", () => {
          bodies.b++;
          return a + 1;
        });
        return a + b;
      },
    );
    await host(executor, inngest, [fn]);

    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/steps" }));
    expect(run?.status).toBe("Completed");
    expect(run?.output).toBe(41);
    expect(bodies).toEqual({ a: 1, b: 1, handler: 3 });
    expect(Object.values(run?.steps ?? {})).toEqual([{ data: 20 }, { data: 21 }]);
    expect(executor.invocations({ runId: run?.id }).map((call) => call.httpStatus)).toEqual([206, 206, 200]);
  });

  it("takes checkpointed steps (ctx.fn_id and qi_id sent): the handler runs once, in one request", async () => {
    const { executor, inngest } = await setup("checkpoint-app");
    const bodies = { a: 0, b: 0, handler: 0 };
    const fn = inngest.createFunction(
      { id: "two-steps", triggers: { event: "app/steps" } },
      async ({ step }) => {
        bodies.handler++;
        const a = await step.run("a", () => ++bodies.a * 20);
        const b = await step.run("b", () => a + ++bodies.b);
        return a + b;
      },
    );
    await host(executor, inngest, [fn]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/steps" }));
    expect(run).toMatchObject({ status: "Completed", output: 41 });
    expect(bodies).toEqual({ a: 1, b: 1, handler: 1 });
    expect(Object.values(run?.steps ?? {})).toEqual([{ data: 20 }, { data: 21 }]);
    const calls = executor.invocations({ runId: run?.id });
    expect(calls.map((call) => call.httpStatus)).toEqual([206]);
    expect(calls[0]?.ops?.map((op) => op.op)).toEqual(["RunComplete"]);
  });

  it("resets the attempts of the item in flight when a step is checkpointed", async () => {
    const { executor, inngest } = await setup("reset-app");
    const attempts: number[] = [];
    let steps = 0;
    const fn = inngest.createFunction(
      { id: "reset", retries: 1, triggers: { event: "app/reset" } },
      async ({ step, attempt }) => {
        attempts.push(attempt);
        // A new step on each of the first two tries: each checkpoint gives the item its attempts back.
        await step.run(`s${attempts.length}`, () => ++steps);
        if (attempts.length < 3) throw new Error("after the step");
        return "done";
      },
    );
    await host(executor, inngest, [fn]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/reset" }));
    // retries: 1 allows two tries of an item; the checkpoint of s1 put the count back to 0, so the
    // item's retry is attempt 1 again, not a failure.
    expect(run?.status).toBe("Completed");
    expect(attempts.slice(0, 2)).toEqual([0, 1]);
  });

  it("refuses a checkpoint past the 4 MiB step output limit with 413 and fails the run", async () => {
    const { executor, inngest } = await setup("big-app");
    const fn = inngest.createFunction(
      { id: "big", retries: 0, triggers: { event: "app/big" } },
      async ({ step }) => {
        await step.run("huge", () => "x".repeat(4 * 1024 * 1024 + 1));
        return "stored";
      },
    );
    await host(executor, inngest, [fn]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/big" }), {
      timeoutMs: 20_000,
    });
    expect(run?.status).toBe("Failed");
    expect(Object.keys(run?.steps ?? {})).toHaveLength(0);
    expect(JSON.stringify(run?.error)).toContain("too large");
  });

  it("runs step.invoke as a child run whose output or error resumes the parent", async () => {
    const { executor, inngest } = await setup("invoke-app");
    const child = inngest.createFunction(
      { id: "child", retries: 0, triggers: { event: "app/never" } },
      async ({ event }) => {
        if (event.data.fail) throw new NonRetriableError("child says no");
        return { doubled: (event.data.n as number) * 2 };
      },
    );
    const parent = inngest.createFunction(
      { id: "parent", triggers: { event: "app/parent" } },
      async ({ step }) => {
        const ok = await step.invoke("ok", { function: child, data: { n: 21 } });
        const failed = await step.invoke("fails", { function: child, data: { fail: true } }).then(
          () => "no error",
          (error: Error) => error.message,
        );
        return { ok, failed };
      },
    );
    await host(executor, inngest, [child, parent]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/parent" }));
    expect(run).toMatchObject({
      status: "Completed",
      output: { ok: { doubled: 42 }, failed: "child says no" },
    });
    const children = executor.runs({ functionId: "invoke-app-child" });
    expect(children.map((c) => c.status).sort()).toEqual(["Completed", "Failed"]);
    expect(children[0]?.event.name).toBe("inngest/function.invoked");
    const meta = children[0]?.event.data._inngest as { correlation_id?: string } | undefined;
    expect(meta?.correlation_id).toMatch(new RegExp(`^${run?.id}\\.`));
  });

  // With checkpointing, steps checkpointed within one request are not checked against the limit
  // (G:pkg/execution/checkpoint/checkpoint.go:487-672 does not): the classic protocol shows it.
  it("fails a run that reaches its step limit before calling the app again (checkpointing off)", async () => {
    const { executor, inngest } = await setup("limit-app", { stepLimit: 5 });
    let calls = 0;
    const fn = inngest.createFunction(
      { id: "loop", retries: 0, checkpointing: false, triggers: { event: "app/loop" } },
      async ({ step }) => {
        calls++;
        for (let i = 0; i < 6; i++) await step.run(`s${i}`, () => i);
        return "never";
      },
    );
    await host(executor, inngest, [fn]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/loop" }));
    expect(run?.status).toBe("Failed");
    expect(run?.error).toMatchObject({ name: "InngestErrFunctionOverflowed" });
    expect(Object.keys(run?.steps ?? {})).toHaveLength(5);
    expect(calls).toBe(5);
  });

  it("runs parallel steps as separate planned calls", async () => {
    const { executor, inngest } = await setup("parallel-app");
    const fn = inngest.createFunction({ id: "fan", triggers: { event: "app/fan" } }, async ({ step }) => {
      const values = await Promise.all([step.run("x", () => "x"), step.run("y", () => "y")]);
      return values.join("+");
    });
    await host(executor, inngest, [fn]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/fan" }));
    expect(run).toMatchObject({ status: "Completed", output: "x+y" });
    const planned = executor.invocations({ runId: run?.id }).filter((call) => call.stepId !== "step");
    expect(planned).toHaveLength(2);
  });
});

describe("Inngest executor: retries", () => {
  it("makes retries + 1 attempts, 5 by default, then fails with the error as output", async () => {
    const { executor, inngest } = await setup("retry-app");
    const seen: Record<string, number[]> = { two: [], defaults: [] };
    const two = inngest.createFunction(
      { id: "two", retries: 2, triggers: { event: "app/fail" } },
      ({ attempt }) => {
        seen.two?.push(attempt);
        throw new Error("boom");
      },
    );
    const defaults = inngest.createFunction(
      { id: "defaults", triggers: { event: "app/fail" } },
      ({ attempt }) => {
        seen.defaults?.push(attempt);
        throw new Error("boom");
      },
    );
    await host(executor, inngest, [two, defaults]);

    const runs = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/fail" }));
    expect(runs.map((run) => run.status)).toEqual(["Failed", "Failed"]);
    expect(seen).toEqual({ two: [0, 1, 2], defaults: [0, 1, 2, 3, 4] });
    expect(runs[0]?.output).toMatchObject({ name: "Error", message: "boom" });
    const calls = executor.invocations({ functionId: "two" });
    expect(calls.map((call) => call.noRetry)).toEqual([false, false, true]);
  });

  it("waits the documented backoff between attempts, scaled by timeScale", async () => {
    const { executor, inngest } = await setup("backoff-app", { timeScale: 0.01 });
    const fn = inngest.createFunction(
      { id: "flaky", retries: 1, triggers: { event: "app/flaky" } },
      ({ attempt }) => {
        if (attempt === 0) throw new Error("first try fails");
        return "second try";
      },
    );
    await host(executor, inngest, [fn]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/flaky" }));
    expect(run?.output).toBe("second try");
    const [first, second] = executor.invocations({ runId: run?.id });
    const gap = (second?.startedAt.getTime() ?? 0) - (first?.startedAt.getTime() ?? 0);
    expect(gap).toBeGreaterThanOrEqual(145); // 15 s × 0.01
    expect(gap).toBeLessThan(1_000);
  });

  it("fails at once on NonRetriableError, in the function or in a step", async () => {
    const { executor, inngest } = await setup("nonretry-app");
    let stepBodies = 0;
    const direct = inngest.createFunction({ id: "direct", triggers: { event: "app/nr" } }, () => {
      throw new NonRetriableError("no point");
    });
    const inStep = inngest.createFunction(
      { id: "in-step", triggers: { event: "app/nr" } },
      async ({ step }) => {
        await step.run("doomed", () => {
          stepBodies++;
          throw new NonRetriableError("step says no");
        });
        return "unreachable";
      },
    );
    await host(executor, inngest, [direct, inStep]);

    const runs = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/nr" }));
    const byFn = Object.fromEntries(runs.map((run) => [run.functionId, run]));
    expect(byFn.direct).toMatchObject({ status: "Failed", calls: 1 });
    expect(byFn["in-step"]?.status).toBe("Failed");
    expect(stepBodies).toBe(1);
    expect(executor.invocations({ functionId: "direct" })[0]).toMatchObject({
      httpStatus: 400,
      noRetry: true,
    });
  });

  it("retries a failing step on its own, attempt by attempt, keeping earlier steps", async () => {
    const { executor, inngest } = await setup("step-retry-app");
    const attempts: number[] = [];
    let firstStep = 0;
    const fn = inngest.createFunction({ id: "s", triggers: { event: "app/s" } }, async ({ step }) => {
      await step.run("first", () => ++firstStep);
      return step.run("shaky", () => {
        attempts.push(attempts.length);
        if (attempts.length < 3) throw new Error("not yet");
        return "done";
      });
    });
    await host(executor, inngest, [fn]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/s" }));
    expect(run).toMatchObject({ status: "Completed", output: "done" });
    expect(firstStep).toBe(1);
    expect(attempts).toHaveLength(3);
    const shaky = executor
      .invocations({ runId: run?.id })
      .filter((call) => call.ops?.[0]?.op === "StepError");
    expect(shaky.map((call) => call.attempt)).toEqual([0, 1]);
  });

  it("honours RetryAfterError's Retry-After instead of the backoff", async () => {
    const { executor, inngest } = await setup("retry-after-app", { timeScale: 0.05 });
    const fn = inngest.createFunction({ id: "later", triggers: { event: "app/later" } }, ({ attempt }) => {
      if (attempt === 0) throw new RetryAfterError("busy", 2_000);
      return "done";
    });
    await host(executor, inngest, [fn]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/later" }));
    expect(run?.output).toBe("done");
    const [first, second] = executor.invocations({ runId: run?.id });
    expect(first?.retryAfter).toBe("2");
    const gap = (second?.startedAt.getTime() ?? 0) - (first?.startedAt.getTime() ?? 0);
    expect(gap).toBeGreaterThanOrEqual(95); // 2 s × 0.05, not the 15 s backoff (750 ms)
    expect(gap).toBeLessThan(600);
  });
});

describe("Inngest executor: events", () => {
  it("starts one run per event id within the window", async () => {
    const { executor, inngest } = await setup("dedup-app");
    const fn = inngest.createFunction({ id: "once", triggers: { event: "app/once" } }, async () => "ran");
    await host(executor, inngest, [fn]);

    const first = await sendOne(inngest, { name: "app/once", id: "order-1" });
    const second = await sendOne(inngest, { name: "app/once", id: "order-1" });
    const other = await sendOne(inngest, { name: "app/once", id: "order-2" });
    await executor.waitForIdle();
    expect(second).not.toBe(first);
    expect(executor.runsForEvent(first)).toHaveLength(1);
    expect(executor.runsForEvent(second)).toEqual([]);
    expect(executor.runsForEvent(other)).toHaveLength(1);
    expect(executor.events().find((e) => e.internalId === second)?.skippedFunctions).toEqual([
      "dedup-app-once",
    ]);
  });

  it("delays the run of an event whose ts is in the future", async () => {
    const { executor, inngest } = await setup("delay-app", { timeScale: 0.05 });
    const fn = inngest.createFunction({ id: "later", triggers: { event: "app/delayed" } }, async () => "ok");
    await host(executor, inngest, [fn]);
    const eventId = await sendOne(inngest, { name: "app/delayed", ts: Date.now() + 4_000 });
    expect((await executor.waitForEvent(eventId))[0]?.status).toBe("Scheduled");
    const [run] = await executor.waitForEventRuns(eventId);
    const waited = (run?.startedAt?.getTime() ?? 0) - (run?.queuedAt.getTime() ?? 0);
    expect(waited).toBeGreaterThanOrEqual(180); // 4 s × 0.05
  });

  it("answers 401 for an unknown event key, as the SDK expects", async () => {
    const { executor } = await setup("key-app");
    const stranger = new Inngest({
      id: "x",
      baseUrl: executor.url,
      eventKey: "wrong",
      isDev: false,
      logger: silent,
    });
    await expect(stranger.send({ name: "app/x" })).rejects.toThrow();
  });

  it("fires cron functions in their TZ zone and sends inngest/scheduled.timer", async () => {
    const { executor, inngest } = await setup("cron-app");
    const fn = inngest.createFunction(
      { id: "nightly", triggers: { cron: "TZ=Asia/Kathmandu 45 9 * * *" } },
      async ({ event }) => ({ name: event.name, cron: "cron" in event.data ? event.data.cron : undefined }),
    );
    await host(executor, inngest, [fn]);

    // 09:45 in Kathmandu (UTC+05:45) is 04:00 UTC.
    const fires = executor.nextCronFires("nightly", 2, new Date("2026-03-01T00:00:00Z"));
    expect(fires.map((d) => d.toISOString())).toEqual([
      "2026-03-01T04:00:00.000Z",
      "2026-03-02T04:00:00.000Z",
    ]);

    const fired = executor.fireCron("nightly");
    const run = await executor.waitForRun(fired?.id ?? "");
    expect(run).toMatchObject({ status: "Completed", cron: "TZ=Asia/Kathmandu 45 9 * * *" });
    expect(run.output).toEqual({ name: "inngest/scheduled.timer", cron: "TZ=Asia/Kathmandu 45 9 * * *" });
  });
});

describe("Inngest executor: concurrency and cancellation", () => {
  it("never runs more steps at once than the function's limit, per key", async () => {
    const { executor, inngest } = await setup("conc-app");
    let inFlight = 0;
    let peak = 0;
    const perUser = new Map<string, number>();
    let peakPerUser = 0;
    const fn = inngest.createFunction(
      {
        id: "limited",
        concurrency: [{ limit: 2 }, { limit: 1, key: "event.data.user" }],
        triggers: { event: "app/c" },
      },
      async ({ event }) => {
        const user = String(event.data.user);
        inFlight++;
        perUser.set(user, (perUser.get(user) ?? 0) + 1);
        peak = Math.max(peak, inFlight);
        peakPerUser = Math.max(peakPerUser, perUser.get(user) ?? 0);
        await sleep(40);
        inFlight--;
        perUser.set(user, (perUser.get(user) ?? 0) - 1);
        return user;
      },
    );
    await host(executor, inngest, [fn]);
    const users = ["u1", "u1", "u1", "u2", "u2", "u3"];
    const { ids } = await inngest.send(users.map((user) => ({ name: "app/c", data: { user } })));
    await executor.waitForIdle();
    expect(ids.flatMap((id) => executor.runsForEvent(id)).every((run) => run.status === "Completed")).toBe(
      true,
    );
    expect(peak).toBe(2);
    expect(peakPerUser).toBe(1);
  });

  it("cancels a sleeping run over REST and makes no further call", async () => {
    const { executor, inngest } = await setup("cancel-app", { timeScale: 0.05 });
    let after = 0;
    const fn = inngest.createFunction(
      { id: "sleepy", triggers: { event: "app/sleep" } },
      async ({ step }) => {
        await step.sleep("nap", "10s");
        after++;
        return "woke";
      },
    );
    await host(executor, inngest, [fn]);
    const eventId = await sendOne(inngest, { name: "app/sleep" });
    await executor.waitForEvent(eventId);
    await waitUntil(() => executor.runsForEvent(eventId)[0]?.status === "Running");
    const run = executor.runsForEvent(eventId)[0];
    expect(run?.status).toBe("Running");
    const response = await fetch(`${executor.url}/v1/runs/${run?.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${executor.signingKey}` },
    });
    expect(response.status).toBe(200);
    await executor.waitForIdle();
    expect(executor.run(run?.id ?? "")).toMatchObject({ status: "Cancelled", cancelReason: "api", calls: 1 });
    await sleep(600);
    expect(after).toBe(0);
  });

  it("lists failed runs over REST v2 and runs onFailure handlers", async () => {
    const { executor, inngest } = await setup("dlq-app");
    const failures: string[] = [];
    const fn = inngest.createFunction(
      {
        id: "doomed",
        retries: 0,
        triggers: { event: "app/doomed" },
        onFailure: async ({ error }) => {
          failures.push(error.message);
        },
      },
      () => {
        throw new Error("kaput");
      },
    );
    const ok = inngest.createFunction({ id: "fine", triggers: { event: "app/doomed" } }, async () => "fine");
    await host(executor, inngest, [fn, ok]);
    const eventId = await sendOne(inngest, { name: "app/doomed" });
    await executor.waitForEventRuns(eventId);
    await executor.waitForIdle();
    expect(failures).toEqual(["kaput"]);

    const query = "status=FAILED&app_id=dlq-app&function_id=doomed&include_output=true";
    const response = await fetch(`${executor.url}/v2/runs?${query}`, {
      headers: { authorization: `Bearer ${executor.signingKey}` },
    });
    const body = await response.json();
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      status: "FAILED",
      function: { id: "doomed", app: { id: "dlq-app" } },
      trigger: { eventIds: [eventId], eventName: "app/doomed" },
      // A list answer carries a failure wrapped as {error} (G:pkg/devserver/run_provider.go publicRunOutput).
      output: { error: { message: "kaput" } },
    });
    expect(body.page).toEqual({ hasMore: false, limit: 20 });
  });
});

describe("Inngest executor: function options", () => {
  it("keeps one run per idempotency key, and lets the window expire", async () => {
    const { executor, inngest } = await setup("idem-app", { idempotencyWindowMs: 300 });
    const fn = inngest.createFunction(
      { id: "welcome", idempotency: "event.data.userId", triggers: { event: "app/signup" } },
      async ({ event }) => event.data.userId,
    );
    await host(executor, inngest, [fn]);
    const a = await sendOne(inngest, { name: "app/signup", data: { userId: "u1" } });
    const b = await sendOne(inngest, { name: "app/signup", data: { userId: "u1" } });
    const c = await sendOne(inngest, { name: "app/signup", data: { userId: "u2" } });
    await sleep(350);
    const d = await sendOne(inngest, { name: "app/signup", data: { userId: "u1" } });
    await executor.waitForIdle();
    expect([a, b, c, d].map((id) => executor.runsForEvent(id).length)).toEqual([1, 0, 1, 1]);
  });

  it("cancels on a matching event and on timeouts.finish", async () => {
    const { executor, inngest } = await setup("cancel-on-app", { timeScale: 0.05 });
    const fn = inngest.createFunction(
      {
        id: "reminder",
        cancelOn: [{ event: "app/cancel", match: "data.id" }],
        // 1 s at this time scale: long enough for the cancel event to arrive first on a loaded machine.
        timeouts: { finish: "20s" },
        triggers: { event: "app/remind" },
      },
      async ({ step }) => {
        await step.sleep("wait", "1m");
        return "reminded";
      },
    );
    await host(executor, inngest, [fn]);
    const one = await sendOne(inngest, { name: "app/remind", data: { id: 1 } });
    const two = await sendOne(inngest, { name: "app/remind", data: { id: 2 } });
    await sleep(50);
    await sendOne(inngest, { name: "app/cancel", data: { id: 1 } });
    const [first] = await executor.waitForEventRuns(one);
    const [second] = await executor.waitForEventRuns(two);
    expect(first).toMatchObject({ status: "Cancelled", cancelReason: "event" });
    expect(second).toMatchObject({ status: "Cancelled", cancelReason: "timeout" });
  });

  it("delivers events sent with step.sendEvent to the functions they trigger", async () => {
    const { executor, inngest } = await setup("fanout-app");
    const parent = inngest.createFunction(
      { id: "parent", triggers: { event: "app/parent" } },
      async ({ step }) => {
        const { ids } = await step.sendEvent("kick", { name: "app/child", data: { n: 7 } });
        return ids;
      },
    );
    const child = inngest.createFunction(
      { id: "child", triggers: { event: "app/child" } },
      async ({ event }) => Number(event.data.n) * 6,
    );
    await host(executor, inngest, [parent, child]);
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/parent" }));
    expect(run?.status).toBe("Completed");
    const childEventId = ((run?.output ?? []) as string[])[0] ?? "";
    const [childRun] = await executor.waitForEventRuns(childEventId);
    expect(childRun).toMatchObject({ functionId: "child", status: "Completed", output: 42 });
  });
});

describe("Inngest executor: signatures", () => {
  it("is refused by the SDK's serve handler when the signature is wrong or missing", async () => {
    const { executor, inngest } = await setup("sig-app");
    let ran = 0;
    const fn = inngest.createFunction({ id: "guarded", triggers: { event: "app/g" } }, async () => ++ran);
    const app = await host(executor, inngest, [fn]);
    const url = `${app.url}?fnId=sig-app-guarded&stepId=step`;
    const body = JSON.stringify({
      event: { name: "app/g", data: {}, id: "e1", ts: Date.now() },
      events: [],
      steps: {},
      ctx: { run_id: "01J00000000000000000000000", attempt: 0, stack: { stack: [], current: 0 } },
      version: 2,
    });
    const post = (signature?: string) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(signature ? { "x-inngest-signature": signature } : {}),
        },
        body,
      });

    expect((await post()).status).toBe(401);
    expect((await post(signRequestBody(body, "signkey-test-00ff"))).status).toBe(401);
    const stale = signRequestBody(body, executor.signingKey, Date.now() - 10 * 60_000);
    expect((await post(stale)).status).toBe(401);
    expect(ran).toBe(0);

    // The executor's own signed calls are accepted.
    const [run] = await executor.waitForEventRuns(await sendOne(inngest, { name: "app/g" }));
    expect(run).toMatchObject({ status: "Completed", output: 1 });
  });
});
