import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { EARLY_SLACK_MS, expectCode, LATE_SLACK_MS, NOT_SUPPORTED, numberPayload } from "./fixtures.js";

export const delayScenarios = [
  defineScenario({
    id: "delay.delay",
    title: "a delayed job does not start before its delay and starts soon after",
    requires: ["enqueue.delay"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("delay"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const enqueuedAt = Date.now();
      await client.enqueue(job, { n: 1 }, { delay: "2s" });
      await waitFor(() => probe.calls.length === 1, { message: "the delayed job to run" });
      const waited = probe.calls[0]!.at - enqueuedAt;
      expect(waited, `started after ${waited} ms`).toBeGreaterThanOrEqual(2_000 - EARLY_SLACK_MS);
      expect(waited, `started after ${waited} ms`).toBeLessThanOrEqual(2_000 + LATE_SLACK_MS);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("delay"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(() => client.enqueue(job, { n: 1 }, { delay: "1s" }), NOT_SUPPORTED);
    },
  }),
  defineScenario({
    id: "delay.run-at",
    title: "a job with runAt does not start before that time and starts soon after",
    requires: ["enqueue.runAt"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("run-at"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const runAt = new Date(Math.ceil((Date.now() + 2_000) / 1_000) * 1_000);
      await client.enqueue(job, { n: 1 }, { runAt });
      await waitFor(() => probe.calls.length === 1, { message: "the job to run" });
      const lateness = probe.calls[0]!.at - runAt.getTime();
      expect(lateness, `started ${lateness} ms after runAt`).toBeGreaterThanOrEqual(-EARLY_SLACK_MS);
      expect(lateness, `started ${lateness} ms after runAt`).toBeLessThanOrEqual(LATE_SLACK_MS);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("run-at"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(
        () => client.enqueue(job, { n: 1 }, { runAt: new Date(Date.now() + 60_000) }),
        NOT_SUPPORTED,
      );
    },
  }),
  defineScenario({
    id: "delay.state",
    title: "get shows a delayed job as delayed, with its due time",
    requires: ["enqueue.delay", "jobs.get"],
    async run(t) {
      const job = defineJob({ name: t.jobName("delayed-state"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await t.start(client);
      const before = Date.now();
      const { id } = await client.enqueue(job, { n: 1 }, { delay: "30s" });
      const snapshot = await client.get(id);
      expect(snapshot?.state).toBe("delayed");
      expect(snapshot?.runAt, "a delayed job's snapshot names its due time").toBeInstanceOf(Date);
      expect(snapshot!.runAt!.getTime()).toBeGreaterThanOrEqual(before + 29_000);
      expect(snapshot!.runAt!.getTime()).toBeLessThanOrEqual(Date.now() + 31_000);
    },
  }),
];
