import {
  createSwitchyard,
  defineJob,
  PermanentError,
  type Switchyard,
  type SwitchyardOptions,
  silentLogger as switchyardSilent,
} from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { Inngest } from "inngest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { eventNameFor, fromEnv, inngest, inngestCapabilities, keyedJobId } from "../src/index.js";
import { parseJobId } from "../src/job-id.js";
import { inngestHarness, silentLogger } from "./inngest-harness.js";

type Harness = Awaited<ReturnType<typeof inngestHarness>>;
let harness: Harness;
const opened: Switchyard[] = [];

beforeAll(async () => {
  harness = await inngestHarness();
});
afterAll(() => harness.dispose?.());
afterEach(async () => {
  for (const client of opened.splice(0)) await client.close();
});

const payload = z.object({ n: z.number() });

async function started(jobs: SwitchyardOptions["jobs"]): Promise<Switchyard> {
  const client = createSwitchyard({ backend: await harness.createBackend(), jobs, logger: switchyardSilent });
  opened.push(client);
  await harness.start(client, { concurrency: 1 });
  return client;
}

function appIdOf(client: Switchyard): string {
  return (client.backend as unknown as { appId: string }).appId;
}

describe("inngest adapter: definition mapping", () => {
  it("syncs one function per job: id = job name, event trigger, retries = maxAttempts - 1, TZ= crons", async () => {
    const plain = defineJob({ name: "mail.send", schema: payload, handler: () => {} });
    const once = defineJob({ name: "once", schema: payload, retry: { maxAttempts: 1 }, handler: () => {} });
    const nightly = defineJob({
      name: "nightly",
      schema: payload,
      retry: { maxAttempts: 21 },
      schedule: [
        { cron: "0 2 * * *", timezone: "Europe/Paris", payload: { n: 1 } },
        { cron: "30 4 * * 1", payload: { n: 2 } },
      ],
      handler: () => {},
    });
    const client = await started([plain, once, nightly]);
    const bySlug = new Map(harness.executor.functions().map((fn) => [fn.slug, fn]));
    const appId = appIdOf(client);
    expect(bySlug.get(`${appId}-mail.send`)).toMatchObject({
      functionId: "mail.send",
      events: [eventNameFor("mail.send")],
      crons: [],
      maxAttempts: 3,
    });
    expect(bySlug.get(`${appId}-once`)?.maxAttempts).toBe(1);
    expect(bySlug.get(`${appId}-nightly`)).toMatchObject({
      maxAttempts: 21,
      crons: ["TZ=Europe/Paris 0 2 * * *", "30 4 * * 1"],
    });
  });

  it("refuses more than 21 attempts (Inngest's 20 retries) when the client is created", async () => {
    const job = defineJob({ name: "greedy", schema: payload, retry: { maxAttempts: 22 }, handler: () => {} });
    const backend = await harness.createBackend();
    expect(() => createSwitchyard({ backend, jobs: [job], logger: switchyardSilent })).toThrow(
      /at most 20 retries/,
    );
  });

  it("refuses two schedules of one job with the same cron and zone (a scheduled run could not be told apart)", async () => {
    const job = defineJob({
      name: "twins",
      schema: payload,
      schedule: [
        { id: "a", cron: "0 9 * * *", payload: { n: 1 } },
        { id: "b", cron: "0 9 * * *", payload: { n: 2 } },
      ],
      handler: () => {},
    });
    const backend = await harness.createBackend();
    expect(() => createSwitchyard({ backend, jobs: [job], logger: switchyardSilent })).toThrow(
      /share the cron/,
    );
  });

  it("keys an idempotent enqueue by job and key, and parses only ids it hands out", () => {
    const id = keyedJobId("mail.send", "welcome:a@example.com");
    expect(id).toBe(keyedJobId("mail.send", "welcome:a@example.com"));
    expect(id).not.toBe(keyedJobId("mail.other", "welcome:a@example.com"));
    expect(id.startsWith("mail.send:")).toBe(true);
    expect(parseJobId(id)).toEqual({ kind: "keyed", jobName: "mail.send", id });
    expect(parseJobId("01ARZ3NDEKTSV4RRFFQ69G5FAV")).toEqual({
      kind: "event",
      eventId: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    });
    expect(parseJobId("does-not-exist-4242")).toBeUndefined();
  });
});

describe("inngest adapter: schedules are declarative", () => {
  it("refuses schedules.upsert and remove with NotSupportedError naming defineJob's schedule", async () => {
    const job = defineJob({ name: "report", schema: payload, handler: () => {} });
    const client = createSwitchyard({
      backend: await harness.createBackend(),
      jobs: [job],
      logger: switchyardSilent,
    });
    opened.push(client);
    const upsert = await client.schedules
      .upsert(job, { cron: "0 9 * * *", payload: { n: 1 } })
      .catch((e) => e);
    expect(upsert).toMatchObject({
      code: "SWITCHYARD_NOT_SUPPORTED",
      backend: "inngest",
      option: "schedules.upsert",
    });
    expect(upsert.message).toContain("defineJob({ schedule:");
    const remove = await client.schedules.remove("report").catch((e) => e);
    expect(remove).toMatchObject({ code: "SWITCHYARD_NOT_SUPPORTED", option: "schedules.remove" });
  });

  it("lists the declared schedules with their next fire time", async () => {
    const job = defineJob({
      name: "digest",
      schema: payload,
      schedule: { cron: "15 6 * * *", timezone: "Asia/Kathmandu", payload: { n: 3 } },
      handler: () => {},
    });
    const client = createSwitchyard({
      backend: await harness.createBackend(),
      jobs: [job],
      logger: switchyardSilent,
    });
    opened.push(client);
    const [entry] = await client.schedules.list();
    expect(entry).toMatchObject({ id: "digest", job: "digest", cron: "15 6 * * *", payload: { n: 3 } });
    // 06:15 in Kathmandu (UTC+05:45) is 00:30 UTC.
    expect(entry?.nextRunAt?.toISOString()).toMatch(/T00:30:00\.000Z$/);
  });

  it("runs a scheduled fire with the schedule's payload, known by its run id", async () => {
    const seen: Array<{ id: string; payload: unknown }> = [];
    const job = defineJob({
      name: "tick",
      schema: payload,
      schedule: [
        { cron: "0 3 * * *", payload: { n: 1 } },
        { cron: "0 4 * * *", timezone: "America/New_York", payload: { n: 2 } },
      ],
      handler: (p, ctx) => void seen.push({ id: ctx.id, payload: p }),
    });
    const client = await started([job]);
    const run = harness.executor.fireCron(`${appIdOf(client)}-tick`);
    await waitFor(() => seen.length === 1, { message: "the scheduled run" });
    expect(seen[0]).toEqual({ id: run?.id, payload: { n: 1 } });
  });

  it("lists a failed scheduled run by its run id with the schedule's payload; retry cannot rerun it", async () => {
    const job = defineJob({
      name: "nightly.sweep",
      schema: payload,
      retry: { maxAttempts: 1 },
      schedule: { cron: "0 4 * * *", timezone: "America/New_York", payload: { n: 2 } },
      handler: () => {
        throw new PermanentError("sweep failed");
      },
    });
    const client = await started([job]);
    const run = harness.executor.fireCron(`${appIdOf(client)}-nightly.sweep`);
    const [failed] = await waitFor(async () => {
      const list = await client.listFailed();
      return list.length > 0 && list;
    });
    expect(failed).toMatchObject({
      id: run?.id,
      name: "nightly.sweep",
      state: "failed",
      payload: { n: 2 },
      error: { message: "sweep failed", code: "SWITCHYARD_PERMANENT" },
    });
    expect(await client.retry(run?.id as string)).toBe(false);
  });
});

describe("inngest adapter: runs through the REST API", () => {
  it("reports a failure's code and attempts, and listFailed drops it once a retry completed", async () => {
    let healthy = false;
    const job = defineJob({
      name: "flaky",
      schema: payload,
      retry: { maxAttempts: 2, backoff: { type: "fixed", delay: "100ms" } },
      handler: () => {
        if (!healthy) throw new PermanentError("card declined");
        return "ok";
      },
    });
    const client = await started([job]);
    const { id } = await client.enqueue(job, { n: 1 });
    const failed = await waitFor(async () => {
      const current = await client.get(id);
      return current?.state === "failed" && current;
    });
    expect(failed).toMatchObject({
      attempts: 1,
      error: { message: "card declined", code: "SWITCHYARD_PERMANENT" },
    });
    expect((await client.listFailed()).map((entry) => entry.id)).toEqual([id]);

    healthy = true;
    expect(await client.retry(id)).toBe(true);
    await waitFor(async () => (await client.get(id))?.state === "completed", { message: "the retried run" });
    expect(await client.listFailed()).toEqual([]);
  });

  it("cancels a running job's run: it ends cancelled, but the attempt in flight is not interrupted", async () => {
    let aborted = false;
    let finished = false;
    const job = defineJob({
      name: "slow",
      schema: payload,
      handler: async (_p, ctx) => {
        ctx.signal.addEventListener("abort", () => {
          aborted = true;
        });
        await sleep(600);
        finished = true;
      },
    });
    const client = await started([job]);
    const { id } = await client.enqueue(job, { n: 1 });
    await waitFor(async () => (await client.get(id))?.state === "active", { message: "the job to run" });
    expect(await client.cancel(id)).toBe(true);
    expect((await client.get(id))?.state).toBe("cancelled");
    await waitFor(() => finished, { message: "the attempt to finish" });
    expect(aborted).toBe(false);
    expect((await client.get(id))?.state).toBe("cancelled");
    expect(await client.cancel(id)).toBe(false);
  });

  it("finds a keyed job by its id, and a delayed one shows as delayed with its due time", async () => {
    const job = defineJob({ name: "later", schema: payload, handler: () => {} });
    const client = await started([job]);
    const before = Date.now();
    const { id } = await client.enqueue(job, { n: 9 }, { idempotencyKey: "k-1", delay: "1m" });
    expect(id).toBe(keyedJobId("later", "k-1"));
    const snapshot = await client.get(id);
    expect(snapshot).toMatchObject({ id, name: "later", state: "delayed", payload: { n: 9 }, attempts: 0 });
    expect(snapshot?.runAt?.getTime()).toBeGreaterThanOrEqual(before + 59_000);
    expect(await client.cancel(id)).toBe(true);
    expect((await client.get(id))?.state).toBe("cancelled");
  });

  it("sends a large enqueueMany in several calls, ids and payloads in order", async () => {
    const job = defineJob({ name: "bulk", schema: payload, handler: () => {} });
    const client = await started([job]);
    const before = harness.executor.events().length;
    const results = await client.enqueueMany(
      job,
      Array.from({ length: 230 }, (_, n) => ({ n })),
    );
    const events = harness.executor
      .events()
      .slice(before)
      .filter((e) => e.event.name === eventNameFor("bulk"));
    expect(events.map((e) => e.internalId)).toEqual(results.map((r) => r.id));
    expect(events.map((e) => (e.event.data as { payload: { n: number } }).payload.n)).toEqual(
      Array.from({ length: 230 }, (_, n) => n),
    );
  });
});

describe("inngest adapter: run-time features Inngest does not keep", () => {
  it("fails a job whose handler calls ctx.progress with SWITCHYARD_NOT_SUPPORTED, at once and for good", async () => {
    const attempts: number[] = [];
    const job = defineJob({
      name: "import.rows",
      schema: payload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
      handler: async (_p, ctx) => {
        attempts.push(ctx.attempt);
        await ctx.progress({ done: 1, total: 2 });
      },
    });
    const client = await started([job]);
    const { id } = await client.enqueue(job, { n: 1 });
    const failed = await waitFor(async () => {
      const current = await client.get(id);
      return current?.state === "failed" && current;
    });
    expect(failed.error).toMatchObject({ code: "SWITCHYARD_NOT_SUPPORTED" });
    expect(failed.error?.message).toContain("ctx.progress()");
    expect(failed.attempts).toBe(1);
    expect(attempts).toEqual([1]);
  });
});

describe("inngest adapter: options", () => {
  it("takes your Inngest client, or the settings to make one, not both", () => {
    const client = new Inngest({
      id: "mine",
      isDev: true,
      baseUrl: "http://127.0.0.1:9",
      logger: silentLogger,
    });
    expect(inngest({ client }).capabilities).toBe(inngestCapabilities);
    expect(() => inngest({ client, appId: "other" })).toThrow(/either client or appId/);
    expect(() => inngest({ client: {} as Inngest })).toThrow(/client must be an Inngest client/);
  });

  it("accepts undefined for every option, and refuses unknown options and wrong kinds, naming them", () => {
    const backend = inngest({
      appId: undefined,
      eventKey: undefined,
      signingKey: undefined,
      baseUrl: "",
      isDev: true,
      logger: silentLogger,
      runCreationWait: undefined,
    });
    expect(backend.capabilities).toBe(inngestCapabilities);
    const wrong = (options: object) => () => inngest({ isDev: true, ...options } as never);
    expect(wrong({ eventkey: "k" })).toThrow(/unknown option "eventkey"/);
    expect(wrong({ baseUrl: "localhost:8288" })).toThrow(/baseUrl must be an absolute http\(s\) URL/);
    expect(wrong({ appId: 7 })).toThrow(/appId must be a string, got 7/);
    expect(wrong({ isDev: "yes" })).toThrow(/isDev must be true or false/);
    expect(wrong({ runCreationWait: "2h" })).toThrow(/runCreationWait must be at most 1 minute/);
  });

  it("refuses to send in cloud mode without an event key, naming INNGEST_EVENT_KEY", async () => {
    const job = defineJob({ name: "keyless", schema: payload, handler: () => {} });
    const saved = process.env.INNGEST_EVENT_KEY;
    delete process.env.INNGEST_EVENT_KEY;
    try {
      const client = createSwitchyard({
        backend: inngest({
          baseUrl: "http://127.0.0.1:9",
          signingKey: `signkey-test-${"00".repeat(32)}`,
          isDev: false,
          logger: silentLogger,
        }),
        jobs: [job],
        logger: switchyardSilent,
      });
      opened.push(client);
      await expect(client.enqueue(job, { n: 1 })).rejects.toMatchObject({
        code: "SWITCHYARD_CONFIG",
        message: expect.stringContaining("INNGEST_EVENT_KEY"),
      });
    } finally {
      if (saved !== undefined) process.env.INNGEST_EVENT_KEY = saved;
    }
  });

  it("reads SWITCHYARD_BACKEND=inngest settings from INNGEST_* variables, cloud mode unless INNGEST_DEV", () => {
    expect(() => fromEnv({ INNGEST_EVENT_KEY: "k", INNGEST_BASE_URL: "http://127.0.0.1:9" })).toThrow(
      /INNGEST_SIGNING_KEY/,
    );
    const cloud = fromEnv({
      INNGEST_EVENT_KEY: "k",
      INNGEST_SIGNING_KEY: `signkey-prod-${"00".repeat(32)}`,
      INNGEST_BASE_URL: "http://127.0.0.1:9",
    });
    expect(cloud.capabilities.backend).toBe("inngest");
    expect(fromEnv({ INNGEST_DEV: "1" }).capabilities.backend).toBe("inngest");
    expect(fromEnv({ INNGEST_DEV: "http://localhost:8288" }).capabilities.backend).toBe("inngest");
    expect(() => fromEnv({ INNGEST_DEV: "0", INNGEST_BASE_URL: "http://127.0.0.1:9" })).toThrow(
      /signingKey is required in cloud mode.*INNGEST_SIGNING_KEY/,
    );
  });
});
