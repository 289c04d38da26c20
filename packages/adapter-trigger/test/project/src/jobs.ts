// The application's jobs, as any Switchyard app defines them. The same module is imported by the
// application (to enqueue) and by trigger/jobs.ts (for Trigger.dev to run them).
import { setTimeout as sleep } from "node:timers/promises";
import { fromEnv } from "@switchyard/adapter-trigger";
import { createSwitchyard, defineJob, PermanentError } from "@switchyard/core";
import { z } from "zod";

export const echo = defineJob({
  name: "live.echo",
  schema: z.object({ text: z.string() }),
  handler: (payload) => ({ echoed: payload.text }),
});

export const flaky = defineJob({
  name: "live.flaky",
  schema: z.object({ failures: z.number().int().min(0) }),
  retry: { maxAttempts: 4, backoff: { type: "fixed", delay: "1s" } },
  handler: (payload, ctx) => {
    if (ctx.attempt <= payload.failures) throw new Error(`failure on attempt ${ctx.attempt}`);
    return { attempt: ctx.attempt };
  },
});

export const slow = defineJob({
  name: "live.slow",
  schema: z.object({ ms: z.number().int().min(0) }),
  concurrency: 2,
  timeout: "2m",
  handler: async (payload, ctx) => {
    await ctx.progress({ step: "sleeping" });
    await sleep(payload.ms, undefined, { signal: ctx.signal });
    await ctx.progress(100);
    return "done";
  },
});

export const permanent = defineJob({
  name: "live.permanent",
  schema: z.object({ reason: z.string() }),
  retry: { maxAttempts: 5 },
  handler: (payload) => {
    throw new PermanentError(payload.reason);
  },
});

export const report = defineJob({
  name: "live.report",
  schema: z.object({ kind: z.string() }),
  retry: { maxAttempts: 2, backoff: { type: "exponential", delay: "5s", factor: 3, max: "1m" } },
  schedule: { cron: "0 3 * * *", timezone: "Europe/Paris", payload: { kind: "daily" } },
  handler: (payload) => ({ reported: payload.kind }),
});

/** SWITCHYARD_BACKEND-independent: this project runs on Trigger.dev (TRIGGER_SECRET_KEY, TRIGGER_API_URL). */
export const jobs = createSwitchyard({ backend: fromEnv(), jobs: [echo, flaky, slow, permanent, report] });
