import { defineJob, type JobContext, type Switchyard } from "@switchyard/core";
import type { QStashEmulator } from "@switchyard/emulator-qstash";
import { waitFor } from "@switchyard/testkit";
import type { Client } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type EmulatedApp, startEmulatedApp } from "./emulated-app.js";

// The emulator's clock starts two seconds before a minute boundary, so a `* * * * *` schedule fires
// right away instead of up to a minute later.
let app: EmulatedApp;
let emulator: QStashEmulator;
let api: Client;
let jobs: Switchyard;
let handlerUrl: string;
const seen: JobContext[] = [];

const report = defineJob({
  name: "report.daily",
  schema: z.object({ v: z.number() }),
  handler: (_payload, ctx) => void seen.push(ctx),
});

beforeAll(async () => {
  app = await startEmulatedApp({
    jobs: [report],
    namespace: "shop",
    emulator: { startTime: Math.ceil(Date.now() / 60_000) * 60_000 + 58_000 },
  });
  ({ emulator, api, jobs, handlerUrl } = app);
});

afterAll(() => app?.close());

describe("schedules through schedules.create / list / delete", () => {
  it("stores a zoned schedule as CRON_TZ=<zone> under an escaped id, and lists it back as it was given", async () => {
    await jobs.schedules.upsert(report, {
      id: "daily:paris",
      cron: "0 9 * * *",
      timezone: "Europe/Paris",
      payload: { v: 1 },
    });
    const stored = await api.schedules.get("shop.daily_3aparis");
    expect(stored).toMatchObject({
      cron: "CRON_TZ=Europe/Paris 0 9 * * *",
      destination: `${handlerUrl}?job=report.daily`,
      body: '{"v":1}',
      retries: 2,
    });
    expect(stored.retryDelayExpression).toBeUndefined();
    const listed = (await jobs.schedules.list()).find((entry) => entry.id === "daily:paris");
    expect(listed).toMatchObject({
      id: "daily:paris",
      job: "report.daily",
      cron: "0 9 * * *",
      timezone: "Europe/Paris",
      payload: { v: 1 },
    });
    expect(listed?.nextRunAt).toBeInstanceOf(Date);
    expect(await jobs.schedules.remove("daily:paris")).toBe(true);
    expect(await jobs.schedules.remove("daily:paris")).toBe(false);
    expect((await jobs.schedules.list()).some((entry) => entry.id === "daily:paris")).toBe(false);
  });

  it("runs each tick as a job whose id is the tick's message id, visible through get", async () => {
    await jobs.schedules.upsert(report, { id: "every-minute", cron: "* * * * *", payload: { v: 7 } });
    await waitFor(() => seen.length >= 1, { message: "the first tick", timeoutMs: 10_000 });
    await jobs.schedules.remove("every-minute");
    const id = seen[0]!.id;
    expect(id).toMatch(/^msg_/);
    const snapshot = await waitFor(async () => {
      const current = await jobs.get(id);
      return current?.state === "completed" && current;
    });
    expect(snapshot).toMatchObject({ name: "report.daily", payload: { v: 7 }, attempts: 1 });
    expect(emulator.deliveries.find((d) => d.messageId === id)?.scheduleId).toBe("shop.every-minute");
  });
});
