import {
  ConfigError,
  createSwitchyard,
  defineJob,
  memory,
  type Switchyard,
  silentLogger,
} from "@switchyard/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { vercelCron } from "../src/index.js";

const SECRET = "s3cret-value-of-the-project";
const ran: string[] = [];
const report = defineJob({
  name: "report",
  schema: z.object({ kind: z.string() }),
  schedule: { id: "nightly", cron: "0 2 * * *", payload: { kind: "nightly" } },
  handler: (payload) => {
    ran.push(payload.kind);
  },
});
const jobs = [report];

let client: Switchyard;
let now: Date;
beforeEach(() => {
  ran.length = 0;
  now = new Date("2026-12-06T02:00:07Z");
  client = createSwitchyard({ backend: memory(), jobs, logger: silentLogger });
});
afterEach(() => client.close());

function call(path: string, authorization?: string, method = "GET"): Request {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return new Request(`https://app.example${path}`, { method, headers });
}

async function jobCount(): Promise<number> {
  const counts = await client.counts();
  return Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
}

describe("vercelCron(): the secret", () => {
  it("refuses to be created without a secret, rather than accept every call", () => {
    const saved = process.env.CRON_SECRET;
    delete process.env.CRON_SECRET;
    try {
      expect(() => vercelCron(client, jobs)).toThrow(ConfigError);
      expect(() => vercelCron(client, jobs)).toThrow(/set CRON_SECRET/);
      expect(() => vercelCron(client, jobs, { secret: "  " })).toThrow(ConfigError);
      process.env.CRON_SECRET = SECRET;
      expect(typeof vercelCron(client, jobs)).toBe("function");
    } finally {
      if (saved === undefined) delete process.env.CRON_SECRET;
      else process.env.CRON_SECRET = saved;
    }
  });

  it("answers 401 to a missing, wrong or forged Authorization, and touches no job", async () => {
    const handle = vercelCron(client, jobs, { secret: SECRET, now: () => now });
    const refused = [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      SECRET,
      `Basic ${SECRET}`,
      `bearer ${SECRET}`,
      `Bearer ${SECRET.slice(0, -1)}`,
      `Bearer ${SECRET}x`,
      `Bearer  ${SECRET}`,
      `Bearer ${SECRET.toUpperCase()}`,
    ];
    for (const authorization of refused) {
      const response = await handle(call("/api/cron/nightly", authorization));
      expect(response.status, JSON.stringify(authorization)).toBe(401);
      expect(await response.json()).toEqual({ error: "unauthorized" });
    }
    // (Trailing spaces are no forgery: the Fetch Headers API strips them from every header value.)
    // Refused before the path is looked at: an unknown schedule says nothing either.
    expect((await handle(call("/api/cron/unknown", "Bearer nope"))).status).toBe(401);
    expect(await jobCount()).toBe(0);
    expect(ran).toEqual([]);
  });
});

describe("vercelCron(): one job per tick", () => {
  it("enqueues the schedule's job with its payload, once per tick: a repeated call within the tick is deduplicated", async () => {
    const worker = client.work();
    const handle = vercelCron(client, jobs, { secret: SECRET, now: () => now });
    const first = await handle(call("/api/cron/nightly", `Bearer ${SECRET}`));
    expect(first.status).toBe(200);
    const body = await first.json();
    expect(body).toMatchObject({
      schedule: "nightly",
      job: "report",
      tick: "2026-12-06T02:00:00.000Z",
      deduplicated: false,
    });

    // Vercel delivering the same event again, late in the tick.
    now = new Date("2026-12-06T14:30:00Z");
    const again = await (await handle(call("/api/cron/nightly", `Bearer ${SECRET}`))).json();
    expect(again).toMatchObject({ id: body.id, deduplicated: true, tick: "2026-12-06T02:00:00.000Z" });
    expect(await jobCount()).toBe(1);

    // The next day's call is the next tick: a new job.
    now = new Date("2026-12-07T02:00:01Z");
    const next = await (await handle(call("/api/cron/nightly", `Bearer ${SECRET}`))).json();
    expect(next).toMatchObject({ deduplicated: false, tick: "2026-12-07T02:00:00.000Z" });
    expect(next.id).not.toBe(body.id);
    expect(await jobCount()).toBe(2);
    await worker.stop();
  });

  it("a call up to 60 s before the fire time (clock skew) is that tick's run, not a repeat of the last one", async () => {
    // No worker: runTimeout 0 answers at once.
    const handle = vercelCron(client, jobs, { secret: SECRET, now: () => now, runTimeout: 0 });
    const tickAt = async (time: string) => {
      now = new Date(time);
      return (await (await handle(call("/api/cron/nightly", `Bearer ${SECRET}`))).json()).tick;
    };
    expect(await tickAt("2026-12-06T02:00:07Z")).toBe("2026-12-06T02:00:00.000Z");
    // The next day's call, 3 s early: the next day's run, not deduplicated against today's.
    expect(await tickAt("2026-12-07T01:59:57Z")).toBe("2026-12-07T02:00:00.000Z");
    expect(await tickAt("2026-12-07T02:00:00Z")).toBe("2026-12-07T02:00:00.000Z");
    // 61 s early is outside the window: the previous tick (a repeat).
    expect(await tickAt("2026-12-08T01:58:59Z")).toBe("2026-12-07T02:00:00.000Z");
    expect(await jobCount()).toBe(2);
  });

  it("a schedule firing every minute keeps each call on its own tick", async () => {
    const minutely = defineJob({
      name: "minutely",
      schema: z.object({}),
      schedule: { id: "each-minute", cron: "* * * * *" },
      handler: () => {},
    });
    const own = createSwitchyard({ backend: memory(), jobs: [minutely], logger: silentLogger });
    try {
      const handle = vercelCron(own, [minutely], { secret: SECRET, now: () => now, runTimeout: 0 });
      const tickAt = async (time: string) => {
        now = new Date(time);
        return (await (await handle(call("/api/cron/each-minute", `Bearer ${SECRET}`))).json()).tick;
      };
      expect(await tickAt("2026-12-06T02:00:05Z")).toBe("2026-12-06T02:00:00.000Z");
      expect(await tickAt("2026-12-06T02:00:58Z")).toBe("2026-12-06T02:01:00.000Z");
    } finally {
      await own.close();
    }
  });

  it("refuses, when created, jobs that are not registered with the client", () => {
    const other = defineJob({ name: "other", schema: z.object({}), handler: () => {} });
    expect(() => vercelCron(client, [report, other], { secret: SECRET })).toThrow(ConfigError);
    expect(() => vercelCron(client, [report, other], { secret: SECRET })).toThrow(
      /job "other" is not registered with the client/,
    );
  });

  it("on memory, runs the job before answering (a serverless function does nothing after its response)", async () => {
    const worker = client.work();
    const handle = vercelCron(client, jobs, { secret: SECRET, now: () => now });
    const body = await (await handle(call("/api/cron/nightly", `Bearer ${SECRET}`))).json();
    expect(body.state).toBe("completed");
    expect(ran).toEqual(["nightly"]);
    await worker.stop();
  });

  it("answers 202 with the state when the run has not ended within runTimeout", async () => {
    const handle = vercelCron(client, jobs, { secret: SECRET, now: () => now, runTimeout: 50 });
    const response = await handle(call("/api/cron/nightly", `Bearer ${SECRET}`));
    expect(response.status).toBe(202);
    expect((await response.json()).state).toBe("waiting");
  });

  it("answers 404 for a path that names no declared schedule, 405 for a method other than GET", async () => {
    const handle = vercelCron(client, jobs, { secret: SECRET, now: () => now, basePath: "/cron" });
    expect((await handle(call("/cron/other", `Bearer ${SECRET}`))).status).toBe(404);
    expect((await handle(call("/api/cron/nightly", `Bearer ${SECRET}`))).status).toBe(404);
    expect((await handle(call("/cron/nightly/x", `Bearer ${SECRET}`))).status).toBe(404);
    const post = await handle(call("/cron/nightly", `Bearer ${SECRET}`, "POST"));
    expect(post.status).toBe(405);
    expect(await jobCount()).toBe(0);
  });

  it("refuses at creation a schedule Vercel cannot run at its exact times", () => {
    const paris = defineJob({
      name: "paris",
      schema: z.object({}),
      schedule: { cron: "0 2 * * *", timezone: "Europe/Paris" },
      handler: () => {},
    });
    expect(() => vercelCron(client, [paris], { secret: SECRET })).toThrow(/Vercel runs crons in UTC only/);
  });
});
