import { defineJob, type JobContext } from "@switchyard/core";
import { Probe, sleep, waitFor } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();
const numberPayload = z.object({ n: z.number() });

/** A job named `name` whose handler takes `ms`, recorded by `probe`; `concurrency` as given. */
function timedJob(name: string, probe: Probe, ms: number, concurrency?: number) {
  return defineJob({
    name,
    schema: numberPayload,
    ...(concurrency === undefined ? {} : { concurrency }),
    handler: async (payload: { n: number }, ctx: JobContext) => {
      const leave = probe.enter(payload, ctx);
      await sleep(ms);
      leave();
    },
  });
}

describe("a job's concurrency limit is the workers' definition, across processes", () => {
  it("a producer defined without the limit does not lift it: two workers at 2 never run more than 2", async () => {
    const probe = new Probe();
    const { client: first, schema } = await schemas.client([timedJob("shared", probe, 100, 2)]);
    const { client: second } = await schemas.client([timedJob("shared", probe, 100, 2)], { schema });
    const producerJob = timedJob("shared", probe, 100);
    const { client: producer } = await schemas.client([producerJob], { schema });
    await schemas.start(first, 10);
    await schemas.start(second, 10);
    await producer.enqueueMany(
      producerJob,
      Array.from({ length: 12 }, (_, n) => ({ n })),
    );
    // One by one too, with and without an idempotency key (three statements pick a lane).
    for (let n = 12; n < 16; n++) {
      await producer.enqueue(producerJob, { n }, n % 2 === 0 ? { idempotencyKey: `k${n}` } : {});
    }
    await waitFor(() => probe.calls.length === 16, { message: "sixteen jobs to run", timeoutMs: 20_000 });
    expect(probe.maxActive()).toBeLessThanOrEqual(2);
    expect(probe.maxActive()).toBe(2);
  });

  it("a limit changed by a new deploy reaches the jobs already waiting", async () => {
    const probe = new Probe();
    const oldDefinition = timedJob("changed", probe, 100, 3);
    const { client: producer, schema } = await schemas.client([oldDefinition]);
    await producer.enqueueMany(
      oldDefinition,
      Array.from({ length: 9 }, (_, n) => ({ n })),
    );
    const { client: worker } = await schemas.client([timedJob("changed", probe, 100, 1)], { schema });
    await schemas.start(worker, 10);
    await waitFor(() => probe.calls.length === 9, { message: "nine jobs to run", timeoutMs: 20_000 });
    expect(probe.maxActive()).toBe(1);
  });

  it("a limit removed by a new deploy lets the waiting jobs run at once", async () => {
    const probe = new Probe();
    const oldDefinition = timedJob("lifted", probe, 300, 1);
    const { client: producer, schema } = await schemas.client([oldDefinition]);
    await producer.enqueueMany(
      oldDefinition,
      Array.from({ length: 4 }, (_, n) => ({ n })),
    );
    const { client: worker } = await schemas.client([timedJob("lifted", probe, 300)], { schema });
    await schemas.start(worker, 10);
    await waitFor(() => probe.calls.length === 4, { message: "four jobs to run", timeoutMs: 20_000 });
    expect(probe.maxActive()).toBe(4);
  });
});

/**
 * A job with `concurrency` that records its runs in `probe` and ends on the next 400 ms tick at least 200 ms
 * away: its lanes are freed together (the hard case: the fetches of the workers woken for them meet).
 */
function jobEndingOnTicks(probe: Probe, concurrency: number) {
  return defineJob({
    name: "busy",
    schema: numberPayload,
    concurrency,
    handler: async (payload: { n: number }, ctx: JobContext) => {
      const leave = probe.enter(payload, ctx);
      await sleep(400 - ((Date.now() + 200) % 400) + 200);
      leave();
    },
  });
}

/**
 * Asserts that `probe`'s handlers kept `lanes` running with a backlog. A hand-over costs two round trips
 * (the outcome write, then the next fetch), one fetch more for each lane freed at the same time (the
 * wake-ups follow one another), and on a loaded 2-core machine some scheduling: tens of ms, the pool's
 * start included. A lane left idle waits for the poll, or for the next outcome stored (the next tick,
 * 400 ms later).
 */
function expectLanesKeptBusy(probe: Probe, lanes: number, what: string): void {
  expect(probe.maxActive()).toBeLessThanOrEqual(lanes);
  const longest = probe.longestBelow(lanes);
  console.info(
    `${what}: ${probe.averageActive().toFixed(2)} running on average, fewer than ${lanes} for ${longest} ms at most`,
  );
  expect(longest).toBeLessThan(300);
  expect(probe.averageActive()).toBeGreaterThanOrEqual(lanes * 0.8);
}

describe("a concurrency limit is kept busy with a backlog", () => {
  it("concurrency 4 with 24 jobs ending together keeps 4 running: no lane waits for a poll or for another job's end", async () => {
    const probe = new Probe();
    const job = jobEndingOnTicks(probe, 4);
    // A poll interval longer than the whole run: only nudges can keep the lanes busy.
    const { client } = await schemas.client([job], { pollInterval: "10s" });
    await client.enqueueMany(
      job,
      Array.from({ length: 24 }, (_, n) => ({ n })),
    );
    await schemas.start(client, 10);
    await waitFor(() => probe.calls.length === 24, { message: "24 jobs to run", timeoutMs: 20_000 });
    await sleep(500);
    expectLanesKeptBusy(probe, 4, "concurrency 4 with a backlog");
  });

  it("concurrency 1 per key, four keys, 24 jobs ending together keep 4 running (lanes the definition does not show)", async () => {
    const probe = new Probe();
    const job = jobEndingOnTicks(probe, 1);
    const { client } = await schemas.client([job], { pollInterval: "10s" });
    for (let n = 0; n < 24; n++) await client.enqueue(job, { n }, { concurrencyKey: `key-${n % 4}` });
    await schemas.start(client, 10);
    await waitFor(() => probe.calls.length === 24, { message: "24 jobs to run", timeoutMs: 20_000 });
    await sleep(500);
    expectLanesKeptBusy(probe, 4, "four keys with a backlog");
  });
});

describe("a worker running limited jobs has no local queue", () => {
  it("one asked for in graphilePreset is a ConfigError when the worker starts", async () => {
    const { client } = await schemas.client([timedJob("limited-local", new Probe(), 10, 2)], {
      graphilePreset: { worker: { localQueue: { size: 50 } } },
    });
    const worker = client.work({ concurrency: 2 });
    await expect(worker.ready).rejects.toThrow(/graphilePreset.worker.localQueue must be left unset/);
    await worker.stop();
  });
});
