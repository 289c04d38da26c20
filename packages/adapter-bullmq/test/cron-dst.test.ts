import { defineJob, type Switchyard } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { cronRepeatStrategy } from "../src/cron-repeat.js";
import { REDIS_URL } from "./redis-test-server.js";
import { TestClients } from "./test-client.js";

const NEW_YORK = "America/New_York";
const clients = new TestClients();
afterEach(async () => {
  vi.useRealTimers();
  await clients.cleanup();
});

/** Stores a cron schedule through the client as if it were `now` (only Date is moved; Redis is real). */
async function upsertAt(
  client: Switchyard,
  job: ReturnType<typeof dailyJob>["job"],
  cron: string,
  now: string,
) {
  vi.useFakeTimers({ toFake: ["Date"], now: new Date(now) });
  try {
    await client.schedules.upsert(job, { id: "daily", cron, timezone: NEW_YORK, payload: {} });
  } finally {
    vi.useRealTimers();
  }
}

async function nextRunAt(client: Switchyard): Promise<string | undefined> {
  const [entry] = await client.schedules.list();
  return entry?.nextRunAt?.toISOString();
}

function dailyJob() {
  const runs: string[] = [];
  const job = defineJob({
    name: clients.name("daily"),
    schema: z.object({}),
    handler: (_payload, ctx) => void runs.push(ctx.id),
  });
  return { job, runs };
}

/** Runs the schedule's pending run now (it is due in 2027) and waits until the worker planned the next. */
async function runPending(client: Switchyard, name: string, before: string | undefined) {
  const queue = new Queue(name, { connection: new Redis(REDIS_URL), prefix: clients.prefixOf(client) });
  try {
    const [pending] = await queue.getDelayed();
    await pending!.promote();
  } finally {
    await queue.close();
  }
  return waitFor(
    async () => {
      const next = await nextRunAt(client);
      return next !== before && next;
    },
    { message: "the worker to plan the next run" },
  );
}

describe("cron at daylight-saving changes: BullMQ fires at core's times (croner), as every backend", () => {
  it("computes 30 2 * * * in New York on 2027-03-14 (no 02:30 that day) from 00:00 local as 07:00Z", () => {
    const next = cronRepeatStrategy(Date.now(), {
      pattern: "30 2 * * *",
      tz: NEW_YORK,
      startDate: "2027-03-14T05:00:00.000Z",
    });
    expect(new Date(next as number).toISOString()).toBe("2027-03-14T07:00:00.000Z");
  });

  it("stores the schedule's next run at core's time (spring forward)", async () => {
    const { job } = dailyJob();
    const client = await clients.client([job]);
    await upsertAt(client, job, "30 2 * * *", "2027-03-14T05:00:00.000Z"); // 00:00 in New York
    expect(await nextRunAt(client)).toBe("2027-03-14T07:00:00.000Z");
  });

  it("plans the run after the gap at core's time when a worker takes the run before it", async () => {
    const { job, runs } = dailyJob();
    const client = await clients.client([job]);
    await upsertAt(client, job, "30 2 * * *", "2027-03-13T05:00:00.000Z");
    const first = await nextRunAt(client);
    expect(first).toBe("2027-03-13T07:30:00.000Z");
    await clients.worker(client, 1);
    expect(await runPending(client, job.name, first)).toBe("2027-03-14T07:00:00.000Z");
    expect(runs).toHaveLength(1);
  });

  it("fires once on the fall-back day (01:30 happens twice on 2027-11-07): the next run is the next day's", async () => {
    const { job } = dailyJob();
    const client = await clients.client([job]);
    await upsertAt(client, job, "30 1 * * *", "2027-11-07T04:00:00.000Z"); // 00:00 EDT
    const first = await nextRunAt(client);
    expect(first).toBe("2027-11-07T05:30:00.000Z"); // 01:30 EDT
    await clients.worker(client, 1);
    expect(await runPending(client, job.name, first)).toBe("2027-11-08T06:30:00.000Z"); // not 06:30Z on the 7th
  });
});
