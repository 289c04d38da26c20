// retryFailed() (issue 17): dead letters run again in bulk, within its limit and job filter.
import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { numberPayload } from "./fixtures.js";

const SETTLE_MS = 20_000;

export const retryFailedScenarios = [
  defineScenario({
    id: "retryFailed.reruns",
    title:
      "retryFailed() runs failed jobs again with a fresh attempt count, up to its limit and for its job, and returns their ids",
    requires: ["jobs.retryFailed", "jobs.listFailed"],
    timeoutMs: 90_000,
    async run(t) {
      let healthy = false;
      const probe = new Probe();
      const succeeded = new Set<string>();
      const define = (base: string) =>
        defineJob({
          name: t.jobName(base),
          schema: numberPayload,
          retry: { maxAttempts: 1 },
          handler: (payload, ctx) => {
            probe.enter(payload, ctx)();
            if (!healthy) throw new Error("downstream is down");
            succeeded.add(ctx.id);
          },
        });
      const first = define("dead");
      const second = define("dead-too");
      const client = await t.client([first, second]);
      await t.start(client);
      const firstIds: string[] = [];
      const secondIds: string[] = [];
      for (let n = 0; n < 3; n++) firstIds.push((await client.enqueue(first, { n })).id);
      for (let n = 0; n < 2; n++) secondIds.push((await client.enqueue(second, { n })).id);
      const failedOf = async (job: string) => (await client.listFailed({ job })).map((s) => s.id).sort();
      const settle = (what: string, check: () => Promise<boolean> | boolean) =>
        waitFor(check, { message: what, timeoutMs: SETTLE_MS, intervalMs: 100 });
      await settle("the jobs to fail", async () => (await failedOf(first.name)).length === 3);
      await settle("the other jobs to fail", async () => (await failedOf(second.name)).length === 2);
      healthy = true;

      const some = await client.retryFailed({ job: first.name, limit: 2 });
      expect(some.retried, "limit 2").toHaveLength(2);
      expect(new Set(some.retried).size).toBe(2);
      for (const id of some.retried) expect(firstIds, "only the job asked for").toContain(id);
      await settle("the retried jobs to succeed", () => some.retried.every((id) => succeeded.has(id)));
      for (const id of some.retried) {
        expect(
          probe.callsFor(id).map((call) => call.attempt),
          "a fresh attempt count",
        ).toEqual([1, 1]);
      }
      const left = firstIds.filter((id) => !some.retried.includes(id));
      await settle("the retried jobs to leave the failed list", async () =>
        (await failedOf(first.name)).every((id) => left.includes(id)),
      );
      expect(await failedOf(second.name), "the other job's failures are untouched").toEqual(
        [...secondIds].sort(),
      );
      expect(secondIds.some((id) => probe.callsFor(id).length > 1)).toBe(false);

      const rest = await client.retryFailed();
      expect([...rest.retried].sort(), "every other failed job").toEqual([...left, ...secondIds].sort());
      const all = [...firstIds, ...secondIds];
      await settle("every job to succeed", () => all.every((id) => succeeded.has(id)));
      await settle("the failed list to empty", async () => (await client.listFailed()).length === 0);
      if (client.capabilities.features["jobs.get"] !== "unsupported") {
        await settle("the retried jobs to be completed", async () => {
          const snapshots = await Promise.all(all.map((id) => client.get(id)));
          return snapshots.every((snapshot) => snapshot?.state === "completed");
        });
      }
      expect((await client.retryFailed()).retried, "nothing is left to retry").toEqual([]);
      expect(
        all.every((id) => probe.callsFor(id).length === 2),
        "each job ran twice, no more",
      ).toBe(true);
    },
  }),
];
