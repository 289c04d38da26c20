// What a backend does instead of a feature it lacks. A skipped scenario is never a silent pass: the
// suite runs, for each missing feature, the check below. Options and operations must throw
// NotSupportedError before anything is enqueued; run-time features (cancelling a running attempt,
// progress, results) must show the declared fallback.
import {
  type AnyJobDefinition,
  createSwitchyard,
  defineJob,
  type Feature,
  type JobContext,
  silentLogger,
} from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { deferred } from "./probe.js";
import type { ScenarioContext } from "./scenario.js";
import { NOT_SUPPORTED, numberPayload } from "./scenarios/fixtures.js";
import { sleep, waitFor } from "./wait-for.js";

/** One check: a short description for the report, and the assertion. */
export interface UnsupportedCheck {
  describe: string;
  run(t: ScenarioContext): Promise<void>;
}

async function notSupported(action: () => unknown): Promise<void> {
  const error = await Promise.resolve()
    .then(action)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect((error as { code?: string } | undefined)?.code, "expected a NotSupportedError").toBe(NOT_SUPPORTED);
}

/** Using an enqueue option throws NotSupportedError and enqueues nothing. */
function refusesEnqueueOption(option: string, options: Record<string, unknown>, concurrency?: number) {
  return {
    describe: `enqueue option ${option} throws NotSupportedError`,
    async run(t: ScenarioContext) {
      const job = defineJob({
        name: t.jobName("unsupported"),
        schema: numberPayload,
        concurrency,
        handler: () => {},
      });
      await notSupported(async () => (await t.client([job])).enqueue(job, { n: 1 }, options));
    },
  };
}

/** A job whose definition uses the feature is refused when the client is created. */
function refusesJob(what: string, config: Record<string, unknown>): UnsupportedCheck {
  return {
    describe: `a job with ${what} is refused by createSwitchyard with NotSupportedError`,
    async run(t) {
      const job = defineJob({
        name: t.jobName("unsupported"),
        schema: numberPayload,
        handler: () => {},
        ...config,
      });
      await notSupported(() => t.client([job]));
    },
  };
}

/** Calling an operation of the client throws NotSupportedError. */
function refusesOperation(
  what: string,
  call: (client: Awaited<ReturnType<ScenarioContext["client"]>>, job: AnyJobDefinition) => unknown,
) {
  return {
    describe: `${what} throws NotSupportedError`,
    async run(t: ScenarioContext) {
      const job = defineJob({ name: t.jobName("unsupported"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await notSupported(() => call(client, job));
    },
  };
}

export const UNSUPPORTED_CHECKS: Partial<Record<Feature, UnsupportedCheck>> = {
  "enqueue.delay": refusesEnqueueOption("delay", { delay: "1s" }),
  "enqueue.runAt": refusesEnqueueOption("runAt", { runAt: new Date(Date.now() + 3_600_000) }),
  "enqueue.priority": refusesEnqueueOption("priority", { priority: 1 }),
  "enqueue.concurrencyKey": refusesEnqueueOption("concurrencyKey", { concurrencyKey: "k" }, 1),
  "enqueue.bulk": refusesOperation("enqueueMany", (client, job) => client.enqueueMany(job, [{ n: 1 }])),
  "retry.backoff.fixed": refusesJob("fixed backoff", { retry: { backoff: { type: "fixed", delay: "1s" } } }),
  "retry.backoff.exponential": refusesJob("exponential backoff", {
    retry: { backoff: { type: "exponential", delay: "1s" } },
  }),
  "retry.backoff.max": refusesJob("backoff max", {
    retry: { backoff: { type: "exponential", delay: "1s", max: "5s" } },
  }),
  "retry.jitter": refusesJob("jitter", { retry: { jitter: 0.5 } }),
  idempotency: refusesEnqueueOption("idempotencyKey", { idempotencyKey: "k" }),
  "idempotency.ttl": refusesEnqueueOption("idempotencyTtl", { idempotencyKey: "k", idempotencyTtl: "1h" }),
  "schedule.cron": refusesJob("a cron schedule", { schedule: { cron: "0 9 * * *", payload: { n: 1 } } }),
  "schedule.every": refusesJob("an every schedule", { schedule: { every: "1h", payload: { n: 1 } } }),
  "schedule.timezone": refusesJob("a schedule time zone", {
    schedule: { cron: "0 9 * * *", timezone: "Europe/Paris", payload: { n: 1 } },
  }),
  "schedule.seconds": refusesJob("a cron seconds field", {
    schedule: { cron: "*/5 * * * * *", payload: { n: 1 } },
  }),
  "schedule.imperative": refusesOperation("schedules.upsert", (client, job) =>
    client.schedules.upsert(job, { cron: "0 9 * * *", payload: { n: 1 } }),
  ),
  "job.concurrency": refusesJob("concurrency", { concurrency: 2 }),
  "job.timeout": refusesJob("a timeout", { timeout: "1s" }),
  "jobs.get": refusesOperation("get(id)", (client) => client.get("any")),
  "jobs.cancel": refusesOperation("cancel(id)", (client) => client.cancel("any")),
  "jobs.retry": refusesOperation("retry(id)", (client) => client.retry("any")),
  "jobs.listFailed": refusesOperation("listFailed()", (client) => client.listFailed()),
  "jobs.counts": refusesOperation("counts()", (client) => client.counts()),
  "jobs.list": refusesOperation("list()", (client) => client.list({ state: "failed" })),
  "jobs.retryFailed": refusesOperation("retryFailed()", (client) => client.retryFailed()),
  "jobs.cancelRunning": {
    describe:
      "cancel(id) of a running job cannot abort it: its signal stays live, the attempt runs to its end, and no retry follows",
    async run(t) {
      const release = deferred();
      let started = 0;
      let aborted = false;
      let completed = false;
      const job = defineJob({
        name: t.jobName("cancel-running"),
        schema: numberPayload,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "200ms" } },
        handler: async (_p, ctx) => {
          started++;
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
          });
          await release.promise;
          completed = true;
          throw new Error("would be retried if the job were still alive");
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => started === 1, { message: "the job to start" });
      // The platform cancels what is left of the job (its retries) where it can; the attempt goes on.
      const cancelled =
        client.capabilities.features["jobs.cancel"] === "unsupported"
          ? await notSupported(() => client.cancel(id)).then(() => false)
          : await client.cancel(id);
      release.resolve();
      await waitFor(() => completed, { message: "the attempt to run to its end" });
      expect(aborted).toBe(false);
      await sleep(1_500);
      if (cancelled) expect(started, "a cancelled job is not retried").toBe(1);
    },
  },
  progress: {
    describe: "ctx.progress() rejects with NotSupportedError and the job fails without a retry",
    async run(t) {
      const errors: unknown[] = [];
      const job = defineJob({
        name: t.jobName("progress"),
        schema: numberPayload,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "200ms" } },
        handler: async (_p, ctx) => {
          await ctx.progress(40).catch((error: unknown) => {
            errors.push(error);
            throw error;
          });
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      await client.enqueue(job, { n: 1 });
      await waitFor(() => errors.length === 1, { message: "ctx.progress() to reject" });
      expect((errors[0] as { code?: string }).code).toBe(NOT_SUPPORTED);
      await sleep(1_500); // no retry: another attempt would meet the same error
      expect(errors).toHaveLength(1);
    },
  },
  results: {
    describe: "a completed job's snapshot carries no result",
    async run(t) {
      const job = defineJob({
        name: t.jobName("result"),
        schema: z.object({}),
        handler: () => ({ kept: false }),
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, {});
      if (client.capabilities.features["jobs.get"] === "unsupported")
        return notSupported(() => client.get(id));
      const done = await waitFor(
        async () => {
          const snapshot = await client.get(id);
          return snapshot?.state === "completed" && snapshot;
        },
        { message: "the job to complete", timeoutMs: 30_000 },
      );
      expect(done.result).toBeUndefined();
    },
  },
};

/** A step call rejects with NotSupportedError, and the job fails without a retry. */
function refusesStep(what: string, call: (ctx: JobContext) => Promise<unknown>): UnsupportedCheck {
  return {
    describe: `${what} rejects with NotSupportedError and the job fails without a retry`,
    async run(t) {
      const errors: unknown[] = [];
      const job = defineJob({
        name: t.jobName("steps"),
        schema: numberPayload,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "200ms" } },
        handler: async (_p, ctx) => {
          await call(ctx).catch((error: unknown) => {
            errors.push(error);
            throw error;
          });
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      await client.enqueue(job, { n: 1 });
      await waitFor(() => errors.length === 1, { message: `${what} to reject` });
      expect((errors[0] as { code?: string }).code).toBe(NOT_SUPPORTED);
      await sleep(1_500);
      expect(errors).toHaveLength(1);
    },
  };
}

UNSUPPORTED_CHECKS["steps.run"] = refusesStep("ctx.step.run()", (ctx) => ctx.step.run("a", () => 1));
UNSUPPORTED_CHECKS["steps.sleep"] = refusesStep("ctx.step.sleep()", (ctx) => ctx.step.sleep("a", "1s"));
UNSUPPORTED_CHECKS["steps.invoke"] = refusesStep("ctx.step.invoke()", (ctx) =>
  ctx.step.invoke("a", defineJob({ name: "unused-child", schema: z.object({}), handler() {} }), {}),
);

/** The check for a backend whose execution model a scenario does not apply to: the other entry point refuses. */
export const executionCheck: UnsupportedCheck = {
  describe: "the entry point of the other execution model (work() or handler()) throws NotSupportedError",
  async run(t) {
    const job = defineJob({ name: t.jobName("execution"), schema: numberPayload, handler: () => {} });
    const client = await t.client([job]);
    const pull = client.capabilities.execution === "embedded" || client.capabilities.execution === "worker";
    await notSupported(() => (pull ? client.handler() : client.work()));
  },
};

/** Where the store lives in one process: a backend serves one client, and a second is refused. */
export const oneClientCheck: UnsupportedCheck = {
  describe: "a second client on the same backend is refused with ConfigError",
  async run(t) {
    const job = defineJob({ name: t.jobName("one-client"), schema: numberPayload, handler: () => {} });
    const client = await t.client([job]);
    const error = await Promise.resolve()
      .then(() => createSwitchyard({ backend: client.backend, jobs: [job], logger: silentLogger }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as { code?: string } | undefined)?.code).toBe("SWITCHYARD_CONFIG");
  },
};
