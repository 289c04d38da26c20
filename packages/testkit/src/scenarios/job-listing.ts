// Queue depth and listing (issue 17): counts() per state and list() with its cursor pages, on every
// backend that declares them, for the states its manifest names (capabilities.jobStates).
import { defineJob, type JobState, type Switchyard, supports } from "@switchyard/core";
import { expect } from "vitest";
import { deferred } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { expectCode, NOT_SUPPORTED, numberPayload } from "./fixtures.js";
import {
  ALL_STATES,
  countedStates,
  enqueueApart,
  expectCounts,
  expectListed,
  listAll,
  listedStates,
} from "./job-listing-helpers.js";

/** A job that completes when `n` is even and fails for good (one attempt) when it is odd. */
function evenOrDead(name: string) {
  return defineJob({
    name,
    schema: numberPayload,
    retry: { maxAttempts: 1 },
    handler: (payload) => {
      if (payload.n % 2 === 1) throw new Error(`odd ${payload.n}`);
      return payload.n;
    },
  });
}

/** Enqueues one job and cancels it before any runtime starts; its id, or undefined without jobs.cancel. */
async function cancelledJob(client: Switchyard, job: ReturnType<typeof evenOrDead>, n: number) {
  if (!supports(client.capabilities, "jobs.cancel")) return undefined;
  const { id } = await client.enqueue(job, { n });
  expect(await client.cancel(id), "a waiting job can be cancelled").toBe(true);
  return id;
}

export const jobListingScenarios = [
  defineScenario({
    id: "counts.states",
    title:
      "counts() gives the jobs per state it counts (waiting, delayed, active, failed, completed, cancelled), for one job or all",
    requires: ["jobs.counts"],
    timeoutMs: 90_000,
    async run(t) {
      const release = deferred();
      let started = 0;
      const work = evenOrDead(t.jobName("count"));
      const blocking = defineJob({
        name: t.jobName("count-block"),
        schema: numberPayload,
        handler: async () => {
          started++;
          await release.promise;
        },
      });
      const idle = defineJob({ name: t.jobName("count-idle"), schema: numberPayload, handler: () => {} });
      const client = await t.client([work, blocking, idle]);
      expect(countedStates(client).length, "a backend with jobs.counts counts some state").toBeGreaterThan(0);
      const delays = supports(client.capabilities, "enqueue.delay");
      // n 0..4: 0, 2, 4 complete and 1, 3 fail once the runtime starts.
      for (let n = 0; n < 5; n++) await client.enqueue(work, { n });
      if (delays) await client.enqueue(work, { n: 10 }, { delay: "1h" });
      const cancelled = (await cancelledJob(client, work, 12)) ? 1 : 0;
      const delayed = delays ? 1 : 0;

      // Nothing runs before the runtime starts.
      await expectCounts(client, work.name, { waiting: 5, delayed, cancelled }, "jobs not started yet");
      await expectCounts(client, idle.name, {}, "a job never enqueued");
      await expectCounts(client, undefined, { waiting: 5, delayed, cancelled }, "all jobs, not started yet");

      await t.start(client, { concurrency: 2 });
      await expectCounts(client, work.name, { completed: 3, failed: 2, delayed, cancelled }, "jobs run");
      await client.enqueue(blocking, { n: 1 });
      await waitFor(() => started === 1, { message: "the blocking job to start" });
      await expectCounts(client, blocking.name, { active: 1 }, "a running job");
      await expectCounts(
        client,
        undefined,
        { completed: 3, failed: 2, delayed, cancelled, active: 1 },
        "all jobs, one running",
      );
      release.resolve();
      await expectCounts(client, blocking.name, { completed: 1 }, "the blocking job once done");
      await expectCounts(client, idle.name, {}, "a job never enqueued");
    },
  }),
  defineScenario({
    id: "list.states",
    title: "list() returns exactly the jobs in the state asked for, newest first, for one job or all",
    requires: ["jobs.list"],
    timeoutMs: 90_000,
    async run(t) {
      const work = evenOrDead(t.jobName("list"));
      const other = evenOrDead(t.jobName("list-other"));
      const idle = defineJob({ name: t.jobName("list-idle"), schema: numberPayload, handler: () => {} });
      const client = await t.client([work, other, idle]);
      const listed = listedStates(client);
      const lists = (state: JobState) => listed.includes(state);
      expect(listed.length, "a backend with jobs.list lists some state").toBeGreaterThan(0);

      // n 0..3: 0 and 2 complete, 1 and 3 fail once the runtime starts.
      const waiting = await enqueueApart(4, (n) => client.enqueue(work, { n }));
      await sleep(15);
      const { id: otherId } = await client.enqueue(other, { n: 0 });
      const delays = supports(client.capabilities, "enqueue.delay");
      const delayed = delays ? (await client.enqueue(work, { n: 10 }, { delay: "1h" })).id : undefined;
      const cancelled = await cancelledJob(client, work, 12);

      if (lists("waiting")) {
        const newestFirst = [...waiting].reverse();
        await expectListed(client, "waiting", work.name, newestFirst, { ordered: true });
        await expectListed(client, "waiting", undefined, [otherId, ...newestFirst], { ordered: true });
        await expectListed(client, "waiting", idle.name, [], { ordered: true });
        const page = await client.list({ state: "waiting", job: work.name });
        for (const snapshot of page.jobs) {
          expect(snapshot).toMatchObject({ name: work.name, state: "waiting" });
        }
        expect(page.jobs.map((snapshot) => snapshot.payload)).toEqual([
          { n: 3 },
          { n: 2 },
          { n: 1 },
          { n: 0 },
        ]);
      }
      if (lists("delayed") && delayed) {
        await expectListed(client, "delayed", work.name, [delayed], { ordered: true });
      }
      if (lists("cancelled") && cancelled) {
        await expectListed(client, "cancelled", work.name, [cancelled], { ordered: true });
      }

      await t.start(client, { concurrency: 1 });
      const [even0, odd1, even2, odd3] = waiting as [string, string, string, string];
      // Finished jobs may be ordered by when they finished, so only their sets are compared.
      if (lists("completed")) {
        await expectListed(client, "completed", work.name, [even0, even2], { ordered: false });
        await expectListed(client, "completed", undefined, [even0, even2, otherId], { ordered: false });
      }
      if (lists("failed")) {
        await expectListed(client, "failed", work.name, [odd1, odd3], { ordered: false });
        const page = await client.list({ state: "failed", job: work.name });
        for (const snapshot of page.jobs) {
          expect(snapshot).toMatchObject({ name: work.name, state: "failed" });
          expect(snapshot.error?.message).toMatch(/^odd /);
        }
      }
      if (lists("waiting")) await expectListed(client, "waiting", work.name, [], { ordered: true });
      if (lists("delayed") && delayed) {
        await expectListed(client, "delayed", undefined, [delayed], { ordered: true });
      }
    },
  }),
  defineScenario({
    id: "list.pages",
    title: "list() pages (limit and cursor) cover every job of a state exactly once, newest first",
    requires: ["jobs.list"],
    timeoutMs: 90_000,
    async run(t) {
      const work = evenOrDead(t.jobName("pages"));
      const other = evenOrDead(t.jobName("pages-other"));
      const client = await t.client([work, other]);
      const listed = listedStates(client);
      // A state whose order is the enqueue order: waiting or delayed jobs, else failed ones run one by one.
      const state = (["waiting", "delayed", "failed"] as const).find(
        (s) => listed.includes(s) && (s !== "delayed" || supports(client.capabilities, "enqueue.delay")),
      );
      expect(state, "a backend with jobs.list lists waiting, delayed or failed jobs").toBeDefined();
      if (state === "failed") await t.start(client, { concurrency: 1 });
      const enqueue = async (job: typeof work, n: number) => {
        // Odd n: failed jobs when the runtime runs them.
        const snapshot = await client.enqueue(
          job,
          { n: 2 * n + 1 },
          state === "delayed" ? { delay: "1h" } : {},
        );
        if (state === "failed") {
          await waitFor(async () => (await listAll(client, "failed", job.name)).includes(snapshot.id), {
            message: "the job to fail",
            timeoutMs: 20_000,
          });
        }
        return snapshot;
      };
      // Seven jobs of `work`, with two of `other` among them.
      const all = await enqueueApart(9, (n) => enqueue(n === 2 || n === 6 ? other : work, n));
      const mine = all.filter((_, n) => n !== 2 && n !== 6);
      await expectListed(client, state!, work.name, [...mine].reverse(), { ordered: true });
      await expectListed(client, state!, undefined, [...all].reverse(), { ordered: true });

      for (const [job, limit, ids] of [
        [work.name, 3, mine],
        [undefined, 2, all],
        [work.name, 7, mine],
      ] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await client.list({ state: state!, job, limit, cursor });
          expect(page.jobs.length, "a page holds at most limit jobs").toBeLessThanOrEqual(limit);
          seen.push(...page.jobs.map((snapshot) => snapshot.id));
          cursor = page.cursor;
          pages++;
        } while (cursor && pages <= ids.length);
        expect(seen, `pages of ${limit}${job ? " for one job" : ""}`).toEqual([...ids].reverse());
        expect(cursor, "the last page has no cursor").toBeUndefined();
      }
    },
  }),
  defineScenario({
    id: "list.unlisted-state",
    title:
      "list() takes every state of jobStates.listed and refuses the others with NotSupportedError, and a foreign cursor with ConfigError",
    requires: ["jobs.list"],
    async run(t) {
      const job = defineJob({ name: t.jobName("states"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      const listed = listedStates(client);
      for (const state of ALL_STATES) {
        if (listed.includes(state)) {
          const page = await client.list({ state, job: job.name, limit: 1 });
          expect(page.jobs, `list({ state: "${state}" })`).toEqual([]);
        } else {
          await expectCode(() => client.list({ state, job: job.name }), NOT_SUPPORTED);
        }
      }
      await expectCode(
        () => client.list({ state: listed[0]!, cursor: "not a cursor of this backend" }),
        "SWITCHYARD_CONFIG",
      );
    },
  }),
];
