// Durable steps (ctx.step): memoized across attempts and crashes, sleeps that free the worker and
// are not attempts, child jobs through invoke. Issue 15; docs/steps.md.
import { ChildJobFailedError, defineJob, PermanentError } from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { deferred } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { expectAbout, numberPayload } from "./fixtures.js";

const empty = z.object({});

/** Counts calls per key. */
class Counter {
  readonly #counts = new Map<string, number>();
  hit(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }
  of(key: string): number {
    return this.#counts.get(key) ?? 0;
  }
}

/** Waits for the job to reach `state` and returns its snapshot (needs jobs.get). */
async function settled(
  client: { get(id: string): Promise<unknown> },
  id: string,
  state: string,
  timeoutMs = 20_000,
) {
  return waitFor(
    async () => {
      const snapshot = (await client.get(id)) as { state?: string } | undefined;
      return snapshot?.state === state && (snapshot as Record<string, unknown>);
    },
    { message: `job ${id} to be ${state}`, timeoutMs },
  );
}

export const stepScenarios = [
  defineScenario({
    id: "steps.memoized",
    title:
      "completed steps are not run again when a later step fails: across 3 attempts, each step runs once",
    requires: ["steps.run", "retry.backoff.fixed", "jobs.get"],
    async run(t) {
      const calls = new Counter();
      // Attempts, not handler calls: a backend may also resume the handler between steps (QStash).
      const attempts = new Set<number>();
      const job = defineJob({
        name: t.jobName("memoized"),
        schema: empty,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
        handler: async (_p, ctx) => {
          attempts.add(ctx.attempt);
          const a = await ctx.step.run("a", () => {
            calls.hit("a");
            return { value: 1 };
          });
          const b = await ctx.step.run("b", () => {
            calls.hit("b");
            return a.value + 1;
          });
          if (ctx.attempt < 3) throw new Error(`flaky after the steps, attempt ${ctx.attempt}`);
          return b;
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, {});
      const done = await settled(client, id, "completed");
      expect([...attempts].sort()).toEqual([1, 2, 3]);
      expect(calls.of("a")).toBe(1);
      expect(calls.of("b")).toBe(1);
      if (client.capabilities.features.results !== "unsupported") expect(done.result).toBe(2);
    },
  }),
  defineScenario({
    id: "steps.crash-resume",
    title: "a worker killed between step 2 and 3 resumes at step 3: steps 1-2 ran exactly once",
    requires: ["steps.run", "worker.crashRecovery"],
    timeoutMs: 60_000,
    async run(t) {
      const calls = new Counter();
      const hang = deferred();
      const job = defineJob({
        name: t.jobName("crash-resume"),
        schema: empty,
        handler: async (_p, ctx) => {
          await ctx.step.run("one", () => void calls.hit("one"));
          await ctx.step.run("two", () => void calls.hit("two"));
          // The first run to get past step two dies here (a backend may resume the handler between steps).
          calls.hit("past-two");
          if (calls.of("past-two") === 1) await hang.promise;
          await ctx.step.run("three", () => void calls.hit("three"));
          return "done";
        },
      });
      const client = await t.client([job]);
      const first = await t.start(client);
      await client.enqueue(job, {});
      await waitFor(() => calls.of("two") === 1 && calls.of("past-two") === 1, {
        message: "steps one and two",
      });
      await first.crash();
      await t.start(client);
      await waitFor(() => calls.of("three") === 1, {
        message: "step three after the crash",
        timeoutMs: 45_000,
      });
      expect(calls.of("one")).toBe(1);
      expect(calls.of("two")).toBe(1);
      hang.resolve();
      await sleep(300);
      expect(calls.of("three")).toBe(1);
    },
  }),
  defineScenario({
    id: "steps.sleep-frees-worker",
    title: "a sleeping job leaves the worker: a concurrency-1 worker runs another job during a 2 s sleep",
    requires: ["steps.sleep"],
    execution: ["embedded", "worker"],
    async run(t) {
      const events: string[] = [];
      const sleeper = defineJob({
        name: t.jobName("sleeper"),
        schema: empty,
        handler: async (_p, ctx) => {
          await ctx.step.run("before", () => void events.push("sleeper:before"));
          await ctx.step.sleep("nap", "2s");
          events.push("sleeper:after");
        },
      });
      const other = defineJob({
        name: t.jobName("other"),
        schema: empty,
        handler: () => void events.push("other"),
      });
      const client = await t.client([sleeper, other]);
      await t.start(client, { concurrency: 1 });
      await client.enqueue(sleeper, {});
      await waitFor(() => events.includes("sleeper:before"), { message: "the sleeper to start" });
      await sleep(200);
      await client.enqueue(other, {});
      await waitFor(() => events.includes("sleeper:after"), {
        message: "the sleeper to wake",
        timeoutMs: 20_000,
      });
      expect(events).toEqual(["sleeper:before", "other", "sleeper:after"]);
    },
  }),
  defineScenario({
    id: "steps.sleep-not-attempt",
    title: "a sleep is not an attempt: a job with maxAttempts 1 sleeps twice and completes on attempt 1",
    requires: ["steps.sleep", "jobs.get"],
    async run(t) {
      const attempts: number[] = [];
      const started = Date.now();
      const job = defineJob({
        name: t.jobName("sleep-attempts"),
        schema: empty,
        retry: { maxAttempts: 1 },
        handler: async (_p, ctx) => {
          attempts.push(ctx.attempt);
          await ctx.step.sleep("first", "500ms");
          await ctx.step.sleep("second", "500ms");
          return "awake";
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, {});
      const done = await settled(client, id, "completed");
      expect(attempts).toEqual([1, 1, 1]);
      expect(done.attempts).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000 - 100);
    },
  }),
  defineScenario({
    id: "steps.sleep-state",
    title: "get shows a sleeping job as delayed, with its due time, and it resumes on time",
    requires: ["steps.sleep", "jobs.get"],
    async run(t) {
      let woke = 0;
      const job = defineJob({
        name: t.jobName("sleep-state"),
        schema: empty,
        handler: async (_p, ctx) => {
          await ctx.step.sleep("nap", "2s");
          woke = Date.now();
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const enqueuedAt = Date.now();
      const { id } = await client.enqueue(job, {});
      const sleeping = await settled(client, id, "delayed");
      const runAt = (sleeping.runAt as Date).getTime();
      expectAbout(runAt - enqueuedAt, 2_000, "the sleep's due time");
      await settled(client, id, "completed");
      expect(woke - enqueuedAt, `woke after ${woke - enqueuedAt} ms`).toBeGreaterThanOrEqual(2_000 - 100);
    },
  }),
  defineScenario({
    id: "steps.sleep-until-past",
    title: "sleepUntil a time already past goes on at once, without suspending",
    requires: ["steps.sleep"],
    async run(t) {
      let runs = 0;
      let finished = false;
      const job = defineJob({
        name: t.jobName("sleep-past"),
        schema: empty,
        handler: async (_p, ctx) => {
          runs++;
          await ctx.step.sleepUntil("past", new Date(Date.now() - 60_000));
          finished = true;
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      await client.enqueue(job, {});
      await waitFor(() => finished, { message: "the job to finish" });
      expect(runs).toBe(1);
    },
  }),
  defineScenario({
    id: "steps.invoke-result",
    title: "invoke enqueues a child job and returns its result to the parent",
    requires: ["steps.invoke", "jobs.get"],
    async run(t) {
      const child = defineJob({
        name: t.jobName("child"),
        schema: numberPayload,
        handler: (p) => ({ doubled: p.n * 2 }),
      });
      const parent = defineJob({
        name: t.jobName("parent"),
        schema: numberPayload,
        handler: async (p, ctx) => {
          const result = await ctx.step.invoke("double", child, { n: p.n });
          return { got: result.doubled };
        },
      });
      const client = await t.client([parent, child]);
      await t.start(client);
      const { id } = await client.enqueue(parent, { n: 21 });
      const done = await settled(client, id, "completed");
      if (client.capabilities.features.results !== "unsupported") expect(done.result).toEqual({ got: 42 });
      expect(done.attempts).toBe(1);
    },
  }),
  defineScenario({
    id: "steps.invoke-child-fails",
    title: "a child that fails for good surfaces in the parent as ChildJobFailedError with its id and error",
    requires: ["steps.invoke", "jobs.get"],
    async run(t) {
      let caught: unknown;
      const child = defineJob({
        name: t.jobName("failing-child"),
        schema: empty,
        handler: () => {
          throw new PermanentError("card declined");
        },
      });
      const parent = defineJob({
        name: t.jobName("parent"),
        schema: empty,
        handler: async (_p, ctx) => {
          try {
            await ctx.step.invoke("charge", child, {});
          } catch (error) {
            caught = error;
            return "handled";
          }
        },
      });
      const client = await t.client([parent, child]);
      await t.start(client);
      const { id } = await client.enqueue(parent, {});
      await settled(client, id, "completed");
      expect(caught).toBeInstanceOf(ChildJobFailedError);
      const failure = caught as ChildJobFailedError;
      expect(failure.code).toBe("SWITCHYARD_CHILD_JOB_FAILED");
      expect(failure.childError?.message).toBe("card declined");
      expect((await client.get(failure.childId))?.state).toBe("failed");
    },
  }),
  defineScenario({
    id: "steps.invoke-once",
    title: "a parent retried after its invoke does not enqueue the child again",
    requires: ["steps.invoke", "retry.backoff.fixed", "jobs.get"],
    async run(t) {
      const calls = new Counter();
      const child = defineJob({
        name: t.jobName("child"),
        schema: empty,
        handler: () => void calls.hit("child"),
      });
      const parent = defineJob({
        name: t.jobName("parent"),
        schema: empty,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
        handler: async (_p, ctx) => {
          await ctx.step.invoke("child", child, {});
          if (ctx.attempt === 1) throw new Error("fails after the invoke");
          return "ok";
        },
      });
      const client = await t.client([parent, child]);
      await t.start(client);
      const { id } = await client.enqueue(parent, {});
      const done = await settled(client, id, "completed");
      expect(done.attempts).toBe(2);
      await sleep(300);
      expect(calls.of("child")).toBe(1);
    },
  }),
  defineScenario({
    id: "steps.duplicate-id",
    title: "a step id used twice in one run fails the job with a ConfigError naming it, without retry",
    requires: ["steps.run"],
    async run(t) {
      const errors: unknown[] = [];
      const attempts = new Set<number>();
      const job = defineJob({
        name: t.jobName("duplicate"),
        schema: empty,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
        handler: async (_p, ctx) => {
          attempts.add(ctx.attempt);
          await ctx.step.run("same", () => 1);
          await ctx.step
            .run("same", () => 2)
            .catch((error: unknown) => {
              errors.push(error);
              throw error;
            });
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      await client.enqueue(job, {});
      await waitFor(() => errors.length === 1, { message: "the duplicate step to be refused" });
      expect((errors[0] as { code?: string }).code).toBe("SWITCHYARD_CONFIG");
      expect((errors[0] as Error).message).toContain('"same"');
      await sleep(800);
      expect([...attempts]).toEqual([1]);
      expect(errors).toHaveLength(1);
    },
  }),
  defineScenario({
    id: "steps.unstorable-result",
    title: "a step returning a value JSON cannot hold fails the job at that step, without retry",
    requires: ["steps.run"],
    async run(t) {
      const calls = new Counter();
      const job = defineJob({
        name: t.jobName("unstorable-step"),
        schema: empty,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
        handler: async (_p, ctx) => {
          calls.hit("handler");
          await ctx.step
            .run("big", () => 10n)
            .catch((error: unknown) => {
              calls.hit((error as { code?: string }).code ?? "other");
              throw error;
            });
          calls.hit("after");
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      await client.enqueue(job, {});
      await waitFor(() => calls.of("SWITCHYARD_UNSTORABLE_RESULT") === 1, {
        message: "the step to be refused",
      });
      await sleep(800);
      expect(calls.of("handler")).toBe(1);
      expect(calls.of("after")).toBe(0);
    },
  }),
  defineScenario({
    id: "steps.permanent-error",
    title: "a PermanentError thrown inside a step fails the job at once",
    requires: ["steps.run", "jobs.get"],
    async run(t) {
      let runs = 0;
      const job = defineJob({
        name: t.jobName("permanent-step"),
        schema: empty,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
        handler: async (_p, ctx) => {
          runs++;
          await ctx.step.run("charge", () => {
            throw new PermanentError("card stolen");
          });
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, {});
      const failed = await settled(client, id, "failed");
      expect((failed.error as { code?: string }).code).toBe("SWITCHYARD_PERMANENT");
      await sleep(500);
      expect(runs).toBe(1);
    },
  }),
  defineScenario({
    id: "steps.cancel-sleeping",
    title: "cancel of a sleeping job works, and it never resumes",
    requires: ["steps.sleep", "jobs.cancel", "jobs.get"],
    async run(t) {
      let resumed = false;
      let slept = false;
      const job = defineJob({
        name: t.jobName("cancel-sleeping"),
        schema: empty,
        handler: async (_p, ctx) => {
          await ctx.step.run("mark", () => {
            slept = true;
          });
          await ctx.step.sleep("long", "1s");
          resumed = true;
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, {});
      await waitFor(() => slept, { message: "the job to start" });
      await settled(client, id, "delayed");
      expect(await client.cancel(id)).toBe(true);
      expect((await client.get(id))?.state).toBe("cancelled");
      await sleep(1_800);
      expect(resumed).toBe(false);
    },
  }),
  defineScenario({
    id: "steps.many",
    title: "200 steps in one job each run once, and the results add up",
    requires: ["steps.run", "jobs.get"],
    timeoutMs: 60_000,
    async run(t) {
      const calls = new Counter();
      const job = defineJob({
        name: t.jobName("many-steps"),
        schema: empty,
        handler: async (_p, ctx) => {
          let sum = 0;
          for (let i = 0; i < 200; i++) {
            sum += await ctx.step.run(`step-${i}`, () => {
              calls.hit(`step-${i}`);
              return i;
            });
          }
          return sum;
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, {});
      const done = await settled(client, id, "completed", 45_000);
      if (client.capabilities.features.results !== "unsupported") expect(done.result).toBe(19_900);
      for (let i = 0; i < 200; i++) expect(calls.of(`step-${i}`), `step-${i}`).toBe(1);
      const steps = done.steps as string[] | undefined;
      if (steps) expect(steps).toHaveLength(200);
    },
  }),
];
