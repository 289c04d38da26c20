import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { expectCode, NOT_SUPPORTED, numberPayload } from "./fixtures.js";

export const failedScenarios = [
  defineScenario({
    id: "failed.listed",
    title: "a job that used all its attempts is listed by listFailed with its error",
    requires: ["jobs.listFailed"],
    async run(t) {
      const failing = defineJob({
        name: t.jobName("dead"),
        schema: numberPayload,
        retry: { maxAttempts: 1 },
        handler: (payload) => {
          throw new Error(`boom ${payload.n}`);
        },
      });
      const fine = defineJob({ name: t.jobName("fine"), schema: numberPayload, handler: () => {} });
      const client = await t.client([failing, fine]);
      await t.start(client);
      const { id } = await client.enqueue(failing, { n: 42 });
      await client.enqueue(fine, { n: 1 });
      const failed = await waitFor(
        async () => {
          const list = await client.listFailed();
          return list.some((job) => job.id === id) && list;
        },
        { message: "the job to be listed as failed" },
      );
      const entry = failed.find((job) => job.id === id)!;
      expect(entry).toMatchObject({ name: failing.name, state: "failed", payload: { n: 42 } });
      expect(entry.error?.message).toBe("boom 42");
      expect(failed.every((job) => job.state === "failed")).toBe(true);
      const onlyFine = await client.listFailed({ job: fine.name });
      expect(onlyFine).toEqual([]);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("dead"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(() => client.listFailed(), NOT_SUPPORTED);
    },
  }),
  defineScenario({
    id: "failed.retry",
    title: "retry(id) runs a failed job again with a fresh attempt count",
    requires: ["jobs.retry", "jobs.get"],
    negativeFor: ["jobs.retry"],
    async run(t) {
      let healthy = false;
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("revive"),
        schema: numberPayload,
        retry: { maxAttempts: 2, backoff: { type: "fixed", delay: "200ms" } },
        handler: (payload, ctx) => {
          probe.enter(payload, ctx)();
          if (!healthy) throw new Error("downstream is down");
          return "recovered";
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(async () => (await client.get(id))?.state === "failed", { message: "the job to fail" });
      healthy = true;
      expect(await client.retry(id)).toBe(true);
      const snapshot = await waitFor(
        async () => {
          const current = await client.get(id);
          return current?.state === "completed" && current;
        },
        { message: "the retried job to complete" },
      );
      expect(probe.callsFor(id).map((call) => call.attempt)).toEqual([1, 2, 1]);
      if (client.capabilities.features.results !== "unsupported") expect(snapshot.result).toBe("recovered");
      expect(await client.retry(id)).toBe(false);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("revive"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(() => client.retry("any-id"), NOT_SUPPORTED);
    },
  }),
];
