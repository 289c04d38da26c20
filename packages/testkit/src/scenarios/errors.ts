import { defineJob, PermanentError, RetryAfterError } from "@switchyard/core";
import { expect } from "vitest";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { expectAbout, expectCode, NOT_SUPPORTED, numberPayload } from "./fixtures.js";

export const errorScenarios = [
  defineScenario({
    id: "errors.permanent",
    title: "a PermanentError fails the job at once, whatever maxAttempts says",
    requires: ["retry.permanentError"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("permanent"),
        schema: numberPayload,
        retry: { maxAttempts: 5, backoff: { type: "fixed", delay: "1s" } },
        handler: (p, ctx) => {
          probe.enter(p, ctx)();
          throw new PermanentError("the address does not exist");
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => probe.calls.length === 1, { message: "the first attempt" });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(probe.calls).toHaveLength(1);
      if (client.capabilities.features["jobs.get"] !== "unsupported") {
        const snapshot = await waitFor(async () => {
          const current = await client.get(id);
          return current?.state === "failed" && current;
        });
        expect(snapshot.error?.message).toContain("the address does not exist");
      }
    },
  }),
  defineScenario({
    id: "errors.retry-after",
    title: "a RetryAfterError retries after the delay it names, not the backoff policy's",
    requires: ["retry.retryAfter"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("retry-after"),
        schema: numberPayload,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "20s" } },
        handler: (p, ctx) => {
          probe.enter(p, ctx)();
          if (ctx.attempt === 1) throw new RetryAfterError("2s", "rate limited");
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => probe.callsFor(id).length === 2, { message: "the retry", timeoutMs: 15_000 });
      expectAbout(probe.gaps(id)[0]!, 2_000, "gap after RetryAfterError(2s)");
    },
  }),
  defineScenario({
    id: "errors.retry-after-counts",
    title: "a RetryAfterError attempt counts toward maxAttempts",
    requires: ["retry.retryAfter"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("retry-after-count"),
        schema: numberPayload,
        retry: { maxAttempts: 2 },
        handler: (p, ctx) => {
          probe.enter(p, ctx)();
          throw new RetryAfterError("1s");
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => probe.callsFor(id).length === 2, { message: "two attempts", timeoutMs: 15_000 });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(probe.callsFor(id).map((call) => call.attempt)).toEqual([1, 2]);
    },
  }),
  defineScenario({
    id: "errors.timeout",
    title: "an attempt longer than the job's timeout fails with JobTimeoutError and its signal aborts",
    requires: ["job.timeout", "jobs.get"],
    negativeFor: ["job.timeout"],
    async run(t) {
      let aborted = false;
      const job = defineJob({
        name: t.jobName("timeout"),
        schema: numberPayload,
        timeout: "300ms",
        retry: { maxAttempts: 1 },
        handler: (_p, ctx) =>
          new Promise<void>((resolve) => {
            ctx.signal.addEventListener("abort", () => {
              aborted = true;
              resolve();
            });
            setTimeout(resolve, 5_000);
          }),
      });
      const client = await t.client([job]);
      await t.start(client);
      const started = Date.now();
      const { id } = await client.enqueue(job, { n: 1 });
      const snapshot = await waitFor(
        async () => {
          const current = await client.get(id);
          return current?.state === "failed" && current;
        },
        { message: "the job to time out" },
      );
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(snapshot.error?.code).toBe("SWITCHYARD_JOB_TIMEOUT");
      expect(aborted).toBe(true);
    },
    async whenUnsupported(t) {
      const job = defineJob({
        name: t.jobName("timeout"),
        schema: numberPayload,
        timeout: "1s",
        handler: () => {},
      });
      await expectCode(() => t.client([job]), NOT_SUPPORTED);
    },
  }),
  defineScenario({
    id: "errors.code-kept",
    title: 'a handler error\'s own code ("42", "E_RATE") is kept in the failed job\'s error',
    requires: ["jobs.get"],
    async run(t) {
      const job = defineJob({
        name: t.jobName("coded"),
        schema: numberPayload,
        retry: { maxAttempts: 1 },
        handler: (payload) => {
          throw Object.assign(new Error("upstream refused"), { code: payload.n === 1 ? "42" : "E_RATE" });
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      for (const [n, code] of [
        [1, "42"],
        [2, "E_RATE"],
      ] as const) {
        const { id } = await client.enqueue(job, { n });
        const failed = await waitFor(async () => {
          const current = await client.get(id);
          return current?.state === "failed" && current;
        });
        expect(failed.error).toMatchObject({ message: "upstream refused", code });
      }
    },
  }),
];
