import { type Capabilities, defineJob, type ScheduleSpec } from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { expectCode, NOT_SUPPORTED } from "./fixtures.js";

const schedulePayload = z.object({ v: z.number() });

/** The quickest recurring schedule the backend can run, and its period. */
function quickSchedule(capabilities: Capabilities): { spec: ScheduleSpec; periodMs: number } {
  if (capabilities.features["schedule.every"] !== "unsupported")
    return { spec: { every: "1s" }, periodMs: 1_000 };
  if (capabilities.features["schedule.seconds"] !== "unsupported")
    return { spec: { cron: "* * * * * *" }, periodMs: 1_000 };
  return { spec: { cron: "* * * * *" }, periodMs: 60_000 };
}

/** The wall-clock parts of `date` in `timeZone`. */
function zonedParts(
  date: Date,
  timeZone: string,
): Record<"second" | "minute" | "hour" | "day" | "month", number> {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(date);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return {
    second: get("second"),
    minute: get("minute"),
    hour: get("hour"),
    day: get("day"),
    month: get("month"),
  };
}

// Kathmandu is UTC+5:45: a backend that ignored the zone would fire hours away from the target.
const ZONE = "Asia/Kathmandu";

export const scheduleScenarios = [
  defineScenario({
    id: "schedule.fires",
    concurrent: true,
    title: "an upserted schedule fires with its payload",
    requires: ["schedule.imperative"],
    timeoutMs: 150_000,
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("tick"),
        schema: schedulePayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const { spec, periodMs } = quickSchedule(client.capabilities);
      const entry = await client.schedules.upsert(job, {
        ...spec,
        id: t.jobName("tick-schedule"),
        payload: { v: 7 },
      });
      const fires = periodMs <= 1_000 ? 2 : 1;
      await waitFor(() => probe.calls.length >= fires, {
        message: `${fires} fires`,
        timeoutMs: periodMs * (fires + 1) + 5_000,
      });
      expect(probe.calls.every((call) => (call.payload as { v: number }).v === 7)).toBe(true);
      await client.schedules.remove(entry.id);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("tick"), schema: schedulePayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(
        () => client.schedules.upsert(job, { cron: "* * * * *", payload: { v: 1 } }),
        NOT_SUPPORTED,
      );
    },
  }),
  defineScenario({
    id: "schedule.upsert-replaces",
    concurrent: true,
    title: "upserting a schedule id twice keeps one schedule, with the new settings",
    requires: ["schedule.imperative"],
    timeoutMs: 60_000,
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("upsert"),
        schema: schedulePayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const { spec, periodMs } = quickSchedule(client.capabilities);
      const id = t.jobName("report");
      await client.schedules.upsert(job, { ...spec, id, payload: { v: 1 } });
      await client.schedules.upsert(job, { ...spec, id, payload: { v: 2 } });
      const mine = (await client.schedules.list()).filter((entry) => entry.id === id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ id, job: job.name, payload: { v: 2 } });
      if (periodMs <= 1_000) {
        await waitFor(() => probe.calls.length >= 2, { message: "two fires", timeoutMs: 5_000 });
        await sleep(1_500);
        const seconds = new Set(probe.calls.map((call) => Math.floor(call.at / 1_000)));
        expect(probe.calls.every((call) => (call.payload as { v: number }).v === 2)).toBe(true);
        expect(probe.calls.length, "one fire per period, not two schedules").toBeLessThanOrEqual(
          seconds.size + 1,
        );
      }
      await client.schedules.remove(id);
    },
  }),
  defineScenario({
    id: "schedule.remove",
    concurrent: true,
    title: "a removed schedule is gone from the list and fires no more",
    requires: ["schedule.imperative"],
    timeoutMs: 60_000,
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("remove"),
        schema: schedulePayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const { spec, periodMs } = quickSchedule(client.capabilities);
      const id = t.jobName("doomed");
      await client.schedules.upsert(job, { ...spec, id, payload: { v: 1 } });
      if (periodMs <= 1_000)
        await waitFor(() => probe.calls.length >= 1, { message: "a first fire", timeoutMs: 5_000 });
      expect(await client.schedules.remove(id)).toBe(true);
      expect((await client.schedules.list()).some((entry) => entry.id === id)).toBe(false);
      expect(await client.schedules.remove(id)).toBe(false);
      if (periodMs <= 1_000) {
        await sleep(500);
        const count = probe.calls.length;
        await sleep(2_500);
        expect(probe.calls.length).toBe(count);
      }
    },
  }),
  defineScenario({
    id: "schedule.declared",
    concurrent: true,
    title: "a schedule declared in defineJob is stored when the runtime starts, and fires",
    requires: ["schedule.cron"],
    timeoutMs: 150_000,
    async run(t) {
      const probe = new Probe();
      const name = t.jobName("declared");
      const { spec, periodMs } = quickSchedule(
        // Reads the manifest of a throwaway client: the schedule must be known before the job is defined.
        (await t.client([])).capabilities,
      );
      const job = defineJob({
        name,
        schema: schedulePayload,
        schedule: { ...spec, payload: { v: 3 } },
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      expect((await client.schedules.list()).some((entry) => entry.job === name)).toBe(true);
      await waitFor(() => probe.calls.length >= 1, {
        message: "the declared schedule to fire",
        timeoutMs: periodMs * 2 + 5_000,
      });
      expect(probe.calls[0]?.payload).toEqual({ v: 3 });
    },
  }),
  defineScenario({
    id: "schedule.timezone",
    concurrent: true,
    title: "a cron schedule fires at the wall-clock time of its time zone",
    requires: ["schedule.cron", "schedule.timezone"],
    negativeFor: ["schedule.timezone"],
    timeoutMs: 120_000,
    async run(t) {
      const probe = new Probe();
      const seconds = (await t.client([])).capabilities.features["schedule.seconds"] !== "unsupported";
      // The target is a moment a little ahead, written as Kathmandu wall-clock time.
      const target = seconds
        ? new Date(Math.ceil((Date.now() + 3_000) / 1_000) * 1_000)
        : new Date(Math.ceil((Date.now() + 10_000) / 60_000) * 60_000);
      const local = zonedParts(target, ZONE);
      const cron = seconds
        ? `${local.second} ${local.minute} ${local.hour} ${local.day} ${local.month} *`
        : `${local.minute} ${local.hour} ${local.day} ${local.month} *`;
      const job = defineJob({
        name: t.jobName("zoned"),
        schema: schedulePayload,
        schedule: { cron, timezone: ZONE, payload: { v: 1 } },
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      await waitFor(() => probe.calls.length >= 1, {
        message: `the schedule "${cron}" in ${ZONE} to fire at ${target.toISOString()}`,
        timeoutMs: target.getTime() - Date.now() + 8_000,
      });
      const lateness = probe.calls[0]!.at - target.getTime();
      expect(lateness, `fired ${lateness} ms after the target`).toBeGreaterThanOrEqual(-100);
      expect(lateness, `fired ${lateness} ms after the target`).toBeLessThanOrEqual(seconds ? 1_500 : 6_000);
    },
    async whenUnsupported(t) {
      const job = defineJob({
        name: t.jobName("zoned"),
        schema: schedulePayload,
        schedule: { cron: "0 9 * * *", timezone: "Europe/Paris", payload: { v: 1 } },
        handler: () => {},
      });
      await expectCode(() => t.client([job]), NOT_SUPPORTED);
    },
  }),
  defineScenario({
    id: "schedule.invalid-payload",
    title: "an upserted schedule whose payload fails the schema is refused, and nothing is stored",
    requires: ["schedule.imperative"],
    async run(t) {
      const job = defineJob({ name: t.jobName("payload"), schema: schedulePayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(
        () =>
          client.schedules.upsert(job, {
            cron: "0 9 * * *",
            payload: { v: "nine" } as unknown as { v: number },
          }),
        "SWITCHYARD_VALIDATION",
      );
      expect(await client.schedules.list()).toEqual([]);
    },
  }),
];
