import { defineJob, type RetryPolicy } from "@switchyard/core";
import { expect } from "vitest";
import { Probe } from "../probe.js";
import { defineScenario, type ScenarioContext } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import {
  EARLY_SLACK_MS,
  expectAbout,
  expectCode,
  LATE_SLACK_MS,
  NOT_SUPPORTED,
  numberPayload,
} from "./fixtures.js";

/** A job that fails its first `failures` attempts (all when undefined) and records every call. */
async function flakyJob(t: ScenarioContext, retry: RetryPolicy, failures?: number) {
  const probe = new Probe();
  const job = defineJob({
    name: t.jobName("flaky"),
    schema: numberPayload,
    retry,
    handler: (payload, ctx) => {
      probe.enter(payload, ctx)();
      if (failures === undefined || ctx.attempt <= failures)
        throw new Error(`failure on attempt ${ctx.attempt}`);
      return `done on attempt ${ctx.attempt}`;
    },
  });
  const client = await t.client([job]);
  await t.start(client);
  const { id } = await client.enqueue(job, { n: 1 });
  return { probe, client, id };
}

/** Waits until `count` calls happened, then a little longer to catch any extra one. */
async function expectCallCount(probe: Probe, id: string, count: number, settleMs = 1_500): Promise<void> {
  await waitFor(() => probe.callsFor(id).length >= count, {
    message: `${count} attempts`,
    timeoutMs: 20_000,
  });
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  expect(probe.callsFor(id).map((call) => call.attempt)).toEqual(
    Array.from({ length: count }, (_, i) => i + 1),
  );
}

/** The negative path of a job-level option: createSwitchyard refuses the job. */
function refusesJob(retry: RetryPolicy) {
  return async (t: ScenarioContext) => {
    const job = defineJob({ name: t.jobName("refused"), schema: numberPayload, retry, handler: () => {} });
    await expectCode(() => t.client([job]), NOT_SUPPORTED);
  };
}

const fixedBackoff = { type: "fixed", delay: "1s" } as const;

export const retryScenarios = [
  defineScenario({
    id: "retry.attempt-counting",
    title: "maxAttempts counts every attempt, the first included: 3 means 3 calls, then failed",
    requires: ["retry.backoff.fixed"],
    async run(t) {
      const { probe, client, id } = await flakyJob(t, { maxAttempts: 3, backoff: fixedBackoff });
      await expectCallCount(probe, id, 3);
      expect(probe.callsFor(id).every((call) => call.maxAttempts === 3)).toBe(true);
      if (client.capabilities.features["jobs.get"] !== "unsupported") {
        const snapshot = await waitFor(async () => {
          const current = await client.get(id);
          return current?.state === "failed" && current;
        });
        expect(snapshot.attempts).toBe(3);
        expect(snapshot.error?.message).toBe("failure on attempt 3");
      }
    },
  }),
  defineScenario({
    id: "retry.transient-then-success",
    title: "a job that fails twice and then succeeds completes on attempt 3",
    requires: ["retry.backoff.fixed", "jobs.get"],
    async run(t) {
      const { probe, client, id } = await flakyJob(t, { maxAttempts: 5, backoff: fixedBackoff }, 2);
      const snapshot = await waitFor(
        async () => {
          const current = await client.get(id);
          return current?.state === "completed" && current;
        },
        { message: "the job to complete" },
      );
      expect(probe.callsFor(id)).toHaveLength(3);
      expect(snapshot.attempts).toBe(3);
    },
  }),
  defineScenario({
    id: "retry.single-attempt",
    title: "maxAttempts 1 means one call and no retry",
    requires: [],
    async run(t) {
      const { probe, id } = await flakyJob(t, { maxAttempts: 1 });
      await expectCallCount(probe, id, 1);
    },
  }),
  defineScenario({
    id: "retry.fixed-backoff",
    title: "fixed backoff waits the same delay before each retry",
    requires: ["retry.backoff.fixed"],
    async run(t) {
      const { probe, id } = await flakyJob(t, { maxAttempts: 3, backoff: { type: "fixed", delay: "1s" } });
      await expectCallCount(probe, id, 3, 500);
      const [first, second] = probe.gaps(id);
      expectAbout(first!, 1_000, "gap before retry 1");
      expectAbout(second!, 1_000, "gap before retry 2");
    },
    whenUnsupported: refusesJob({ backoff: { type: "fixed", delay: "1s" } }),
  }),
  defineScenario({
    id: "retry.exponential-backoff",
    title: "exponential backoff multiplies the delay by the factor on each retry",
    requires: ["retry.backoff.exponential"],
    async run(t) {
      const { probe, id } = await flakyJob(t, {
        maxAttempts: 3,
        backoff: { type: "exponential", delay: "1s", factor: 2 },
      });
      await expectCallCount(probe, id, 3, 500);
      const [first, second] = probe.gaps(id);
      expectAbout(first!, 1_000, "gap before retry 1");
      expectAbout(second!, 2_000, "gap before retry 2");
    },
    whenUnsupported: refusesJob({ backoff: { type: "exponential", delay: "1s" } }),
  }),
  defineScenario({
    id: "retry.backoff-max",
    title: "max caps an exponential delay",
    requires: ["retry.backoff.exponential", "retry.backoff.max"],
    async run(t) {
      const { probe, id } = await flakyJob(t, {
        maxAttempts: 3,
        backoff: { type: "exponential", delay: "1s", factor: 5, max: "1500ms" },
      });
      await expectCallCount(probe, id, 3, 500);
      const [first, second] = probe.gaps(id);
      expectAbout(first!, 1_000, "gap before retry 1");
      expectAbout(second!, 1_500, "gap before retry 2 (5 s uncapped)");
    },
    whenUnsupported: refusesJob({ backoff: { type: "exponential", delay: "1s", max: "2s" } }),
  }),
  defineScenario({
    id: "retry.jitter-bounds",
    title: "jitter only shortens a delay, by at most its fraction, and does spread the delays",
    requires: ["retry.backoff.fixed", "retry.jitter"],
    timeoutMs: 60_000,
    async run(t) {
      // Four jobs, three retries each: twelve delays drawn uniformly from [1 s, 4 s]. Each must lie in
      // that range; and with jitter working, some delay falls below 3 s (all twelve at 3 s or more
      // has odds of (1/3)^12, about 2 in a million). Without jitter every delay is 4 s.
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("jitter"),
        schema: numberPayload,
        retry: { maxAttempts: 4, backoff: { type: "fixed", delay: "4s" }, jitter: 0.75 },
        handler: (payload, ctx) => {
          probe.enter(payload, ctx)();
          throw new Error(`failure on attempt ${ctx.attempt}`);
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const ids: string[] = [];
      for (let n = 0; n < 4; n++) ids.push((await client.enqueue(job, { n })).id);
      await waitFor(() => ids.every((id) => probe.callsFor(id).length === 4), {
        message: "four attempts of each job",
        timeoutMs: 40_000,
      });
      const gaps = ids.flatMap((id) => probe.gaps(id));
      expect(gaps).toHaveLength(12);
      for (const gap of gaps) {
        expect(gap, `gap ${gap} ms`).toBeGreaterThanOrEqual(1_000 - EARLY_SLACK_MS);
        expect(gap, `gap ${gap} ms`).toBeLessThanOrEqual(4_000 + LATE_SLACK_MS);
      }
      expect(Math.min(...gaps), `gaps ${gaps.join(", ")} ms: jitter spread none`).toBeLessThan(3_000);
    },
    whenUnsupported: refusesJob({ backoff: { type: "fixed", delay: "1s" }, jitter: 0.5 }),
  }),
];
