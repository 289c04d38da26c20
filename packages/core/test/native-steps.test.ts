// The native-steps seam (AttemptInput.nativeSteps): core checks each ctx.step call, then hands it to
// the platform's tools; an interrupted attempt ends `suspended` with its timer released.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { NativeSteps } from "../src/adapter.js";
import { defineJob, type JobContext, type JobDefinition, silentLogger } from "../src/index.js";
import { runAttempt } from "../src/run-attempt.js";

/** Native tools that record what reached them; run() runs the step body, sleeps resolve at once. */
function recordingTools() {
  const calls: string[] = [];
  const tools: NativeSteps = {
    async run(id, fn) {
      calls.push(`run:${id}`);
      return fn();
    },
    async sleep(id, ms) {
      calls.push(`sleep:${id}:${ms}`);
    },
    async sleepUntil(id) {
      calls.push(`sleepUntil:${id}`);
    },
    async invoke(id, job, payload) {
      calls.push(`invoke:${id}:${job.name}:${JSON.stringify(payload)}`);
      return "child result";
    },
  };
  return { calls, tools };
}

const child = defineJob({ name: "child", schema: z.object({ n: z.number() }), handler: () => "ok" });

function attemptOf(handler: (ctx: JobContext) => Promise<unknown>, nativeSteps: NativeSteps | (() => never)) {
  const job = defineJob({
    name: "parent",
    schema: z.object({}),
    retry: { maxAttempts: 3 },
    timeout: "200ms",
    handler: (_p, ctx) => handler(ctx),
  });
  const factory = typeof nativeSteps === "function" ? nativeSteps : () => nativeSteps;
  return runAttempt(
    job as unknown as JobDefinition,
    { id: "j1", payload: {}, attempt: 1, nativeSteps: factory },
    silentLogger,
  );
}

describe("native steps", () => {
  it("hands checked calls to the platform's tools: JSON results, a past sleepUntil never asked", async () => {
    const { calls, tools } = recordingTools();
    const outcome = await attemptOf(async (ctx) => {
      const when = await ctx.step.run("when", () => new Date(0));
      await ctx.step.sleep("nap", "2s");
      await ctx.step.sleep("zero", 0);
      await ctx.step.sleepUntil("past", new Date(Date.now() - 1_000));
      const result = await ctx.step.invoke("kid", child, { n: 1 });
      return { when, result };
    }, tools);
    expect(outcome).toEqual({
      type: "completed",
      result: { when: "1970-01-01T00:00:00.000Z", result: "child result" },
    });
    expect(calls).toEqual(["run:when", "sleep:nap:2000", 'invoke:kid:child:{"n":1}']);
  });

  it("refuses before the platform sees it: a duplicate id, a bad child payload, an idempotency key", async () => {
    for (const [handler, code] of [
      [
        async (ctx: JobContext) => {
          await ctx.step.run("same", () => 1);
          await ctx.step.run("same", () => 2);
        },
        "SWITCHYARD_CONFIG",
      ],
      [(ctx: JobContext) => ctx.step.invoke("kid", child, { n: "one" } as never), "SWITCHYARD_VALIDATION"],
      [
        (ctx: JobContext) => ctx.step.invoke("kid", child, { n: 1 }, { idempotencyKey: "k" } as never),
        "SWITCHYARD_CONFIG",
      ],
      [(ctx: JobContext) => ctx.step.run("big", () => 10n), "SWITCHYARD_UNSTORABLE_RESULT"],
    ] as const) {
      const { calls, tools } = recordingTools();
      const outcome = await attemptOf(handler, tools);
      expect(outcome).toMatchObject({ type: "failed", permanent: true, error: { code } });
      expect(calls.filter((call) => !call.startsWith("run:same") && !call.startsWith("run:big"))).toEqual([]);
    }
  });

  it("ends an interrupted attempt suspended, before its timeout could fail it", async () => {
    let interrupt = () => {};
    const pending: NativeSteps = {
      run: () => new Promise(() => {}),
      sleep: () => new Promise(() => {}),
      sleepUntil: () => new Promise(() => {}),
      invoke: () => new Promise(() => {}),
    };
    const outcome = attemptOf((ctx) => ctx.step.sleep("forever", "1h"), ((stop: () => void) => {
      interrupt = stop;
      return pending;
    }) as never);
    setTimeout(() => interrupt(), 20);
    expect((await outcome).type).toBe("suspended");
  });
});
