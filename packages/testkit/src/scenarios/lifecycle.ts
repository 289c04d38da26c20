import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { deferred, Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { expectCode, NOT_SUPPORTED, numberPayload } from "./fixtures.js";

export const lifecycleScenarios = [
  defineScenario({
    id: "get.lifecycle",
    title: "get shows a job waiting, then active, then completed with its result and attempts",
    requires: ["jobs.get", "results"],
    negativeFor: ["jobs.get"],
    async run(t) {
      const release = deferred();
      const job = defineJob({
        name: t.jobName("lifecycle"),
        schema: numberPayload,
        handler: async (payload) => {
          await release.promise;
          return { doubled: payload.n * 2 };
        },
      });
      const client = await t.client([job]);
      const { id } = await client.enqueue(job, { n: 21 });
      const waiting = await client.get(id);
      expect(waiting).toMatchObject({ id, name: job.name, payload: { n: 21 }, attempts: 0 });
      const pull = client.capabilities.execution === "embedded" || client.capabilities.execution === "worker";
      if (pull) expect(waiting?.state).toBe("waiting");
      else expect(["waiting", "delayed"]).toContain(waiting?.state);
      await t.start(client);
      await waitFor(async () => (await client.get(id))?.state === "active", {
        message: "the job to be active",
      });
      release.resolve();
      const done = await waitFor(
        async () => {
          const current = await client.get(id);
          return current?.state === "completed" && current;
        },
        { message: "the job to complete" },
      );
      expect(done.result).toEqual({ doubled: 42 });
      expect(done.attempts).toBe(1);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("lifecycle"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(() => client.get("any-id"), NOT_SUPPORTED);
    },
  }),
  defineScenario({
    id: "get.unknown",
    title: "get of an unknown id returns undefined",
    requires: ["jobs.get"],
    async run(t) {
      const job = defineJob({ name: t.jobName("unknown"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      expect(await client.get("does-not-exist-4242")).toBeUndefined();
    },
  }),
  defineScenario({
    id: "cancel.waiting",
    title: "a cancelled waiting job never runs",
    requires: ["jobs.cancel"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("cancel"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      const doomed = await client.enqueue(
        job,
        { n: 1 },
        client.capabilities.features["enqueue.delay"] === "unsupported" ? {} : { delay: "1s" },
      );
      expect(await client.cancel(doomed.id)).toBe(true);
      await t.start(client);
      const kept = await client.enqueue(job, { n: 2 });
      await waitFor(() => probe.calls.length >= 1, { message: "the other job to run" });
      await sleep(1_500);
      expect(probe.calls.map((call) => call.id)).toEqual([kept.id]);
      if (client.capabilities.features["jobs.get"] !== "unsupported") {
        expect((await client.get(doomed.id))?.state).toBe("cancelled");
      }
      expect(await client.cancel(doomed.id)).toBe(false);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("cancel"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(() => client.cancel("any-id"), NOT_SUPPORTED);
    },
  }),
  defineScenario({
    id: "cancel.running",
    title: "cancelling a running job aborts its signal and it is not retried",
    requires: ["jobs.cancel", "jobs.cancelRunning", "jobs.get"],
    async run(t) {
      const probe = new Probe();
      let sawAbort = false;
      const job = defineJob({
        name: t.jobName("cancel-running"),
        schema: numberPayload,
        retry: { maxAttempts: 3 },
        handler: (p, ctx) =>
          new Promise<void>((resolve) => {
            probe.enter(p, ctx);
            ctx.signal.addEventListener("abort", () => {
              sawAbort = true;
              resolve();
            });
          }),
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => probe.calls.length === 1, { message: "the job to start" });
      expect(await client.cancel(id)).toBe(true);
      await waitFor(async () => (await client.get(id))?.state === "cancelled", {
        message: "the job to be cancelled",
      });
      expect(sawAbort).toBe(true);
      await sleep(1_500);
      expect(probe.calls).toHaveLength(1);
    },
  }),
  defineScenario({
    id: "cancel.snapshot",
    title: "a cancelled job's snapshot carries SWITCHYARD_JOB_CANCELLED, never an earlier failure",
    requires: ["jobs.cancel", "jobs.get", "retry.backoff.fixed"],
    async run(t) {
      let attempts = 0;
      const job = defineJob({
        name: t.jobName("cancel-snapshot"),
        schema: numberPayload,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "30s" } },
        handler: () => {
          attempts++;
          throw new Error("first attempt fails");
        },
      });
      const client = await t.client([job]);
      const waiting = await client.enqueue(job, { n: 1 });
      expect(await client.cancel(waiting.id)).toBe(true);
      const cancelledWaiting = await client.get(waiting.id);
      expect(cancelledWaiting?.state).toBe("cancelled");
      expect(cancelledWaiting?.error?.code).toBe("SWITCHYARD_JOB_CANCELLED");
      await t.start(client);
      const retrying = await client.enqueue(job, { n: 2 });
      await waitFor(async () => attempts === 1 && (await client.get(retrying.id))?.state === "delayed", {
        message: "the job to wait for its retry",
      });
      expect(await client.cancel(retrying.id)).toBe(true);
      const cancelledRetry = await client.get(retrying.id);
      expect(cancelledRetry?.state).toBe("cancelled");
      expect(cancelledRetry?.error?.code).toBe("SWITCHYARD_JOB_CANCELLED");
    },
  }),
  defineScenario({
    id: "progress.reported",
    title: "progress reported by a running handler is visible through get",
    requires: ["progress", "jobs.get"],
    async run(t) {
      const release = deferred();
      const job = defineJob({
        name: t.jobName("progress"),
        schema: numberPayload,
        handler: async (_p, ctx) => {
          await ctx.progress(40);
          await ctx.progress({ step: "upload", percent: 60 });
          await release.promise;
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      const seen = await waitFor(
        async () => {
          const current = await client.get(id);
          return current?.progress !== undefined && typeof current.progress === "object" && current.progress;
        },
        { message: "progress to show" },
      );
      expect(seen).toEqual({ step: "upload", percent: 60 });
      release.resolve();
    },
  }),
];
