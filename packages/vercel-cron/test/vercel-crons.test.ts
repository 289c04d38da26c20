import { ConfigError, defineJob } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toVercelSchedule, vercelCrons, withVercelCrons } from "../src/index.js";

const noop = () => {};
const digest = defineJob({
  name: "digest.send",
  schema: z.object({ list: z.string() }),
  schedule: [
    { id: "digest-morning", cron: "0 7 * * 1-5", payload: { list: "team" } },
    { cron: "30  18 * * *", timezone: "UTC", payload: { list: "all" } },
  ],
  handler: noop,
});
const sweep = defineJob({ name: "sweep", schema: z.object({}), schedule: { every: "15m" }, handler: noop });
const unscheduled = defineJob({ name: "plain", schema: z.object({}), handler: noop });

function entry(spec: { cron?: string; timezone?: string; everyMs?: number }) {
  return { id: "s", job: "j", payload: {}, ...spec };
}

describe("vercelCrons()", () => {
  it("writes Vercel's documented shape: { crons: [{ path, schedule }] }, one route per declared schedule", () => {
    const config = vercelCrons([digest, sweep, unscheduled]);
    expect(config).toEqual({
      crons: [
        { path: "/api/cron/digest-morning", schedule: "0 7 * * 1-5" },
        { path: "/api/cron/digest.send%3A1", schedule: "30 18 * * *" },
        { path: "/api/cron/sweep", schedule: "*/15 * * * *" },
      ],
    });
    for (const cron of config.crons) {
      expect(Object.keys(cron).sort()).toEqual(["path", "schedule"]);
      expect(cron.path.startsWith("/")).toBe(true);
      expect(cron.schedule.split(" ")).toHaveLength(5);
    }
  });

  it("takes another base path", () => {
    expect(vercelCrons([sweep], { basePath: "/cron/" }).crons[0]!.path).toBe("/cron/sweep");
    expect(() => vercelCrons([sweep], { basePath: "cron" })).toThrow(ConfigError);
    expect(() => vercelCrons([sweep], { basePth: "/x" } as never)).toThrow(ConfigError);
  });

  it("refuses two schedules with one id", () => {
    const twin = defineJob({
      name: "twin",
      schema: z.object({}),
      schedule: { id: "sweep", cron: "* * * * *" },
      handler: noop,
    });
    expect(() => vercelCrons([sweep, twin])).toThrow(/both declare a schedule "sweep"/);
  });

  it("refuses what is not a job", () => {
    expect(() => vercelCrons([{ name: "x" }] as never)).toThrow(ConfigError);
    expect(() => vercelCrons("jobs" as never)).toThrow(ConfigError);
  });
});

describe("toVercelSchedule(): UTC, minute precision, never a different time", () => {
  it("refuses a time zone other than UTC", () => {
    expect(() => toVercelSchedule(entry({ cron: "0 2 * * *", timezone: "Europe/Paris" }))).toThrow(
      /runs in Europe\/Paris, but Vercel runs crons in UTC only/,
    );
    expect(toVercelSchedule(entry({ cron: "0 2 * * *", timezone: "Etc/UTC" }))).toBe("0 2 * * *");
  });

  it("refuses seconds, even a zero seconds field", () => {
    expect(() => toVercelSchedule(entry({ cron: "*/10 * * * * *" }))).toThrow(/seconds field/);
    expect(() => toVercelSchedule(entry({ cron: "0 0 2 * * *" }))).toThrow(ConfigError);
  });

  it("refuses what Vercel's cron syntax does not take: names, croner extensions, day of month with day of week", () => {
    expect(() => toVercelSchedule(entry({ cron: "0 9 * * MON" }))).toThrow(/numbers, \*/);
    expect(() => toVercelSchedule(entry({ cron: "0 9 L * *" }))).toThrow(ConfigError);
    expect(() => toVercelSchedule(entry({ cron: "0 9 1 * 1" }))).toThrow(/day of month and a day of week/);
  });

  it("turns an every interval into a cron only when the cron repeats it exactly", () => {
    const minute = 60_000;
    expect(toVercelSchedule(entry({ everyMs: minute }))).toBe("* * * * *");
    expect(toVercelSchedule(entry({ everyMs: 20 * minute }))).toBe("*/20 * * * *");
    expect(toVercelSchedule(entry({ everyMs: 60 * minute }))).toBe("0 * * * *");
    expect(toVercelSchedule(entry({ everyMs: 6 * 60 * minute }))).toBe("0 */6 * * *");
    expect(toVercelSchedule(entry({ everyMs: 24 * 60 * minute }))).toBe("0 0 * * *");
    for (const everyMs of [7 * minute, 90 * minute, 5 * 60 * minute, 48 * 60 * minute, 30_000, 90_000]) {
      expect(() => toVercelSchedule(entry({ everyMs })), `${everyMs} ms`).toThrow(
        /no Vercel cron repeats exactly/,
      );
    }
  });
});

describe("withVercelCrons()", () => {
  it("keeps every other key and the hand-written crons, and replaces the generated ones", () => {
    const existing = {
      $schema: "https://openapi.vercel.sh/vercel.json",
      rewrites: [{ source: "/a", destination: "/b" }],
      crons: [
        { path: "/api/report", schedule: "0 5 * * *" },
        { path: "/api/cron/removed-schedule", schedule: "0 1 * * *" },
      ],
    };
    const merged = withVercelCrons(existing, vercelCrons([sweep]).crons);
    expect(merged).toEqual({
      $schema: "https://openapi.vercel.sh/vercel.json",
      rewrites: [{ source: "/a", destination: "/b" }],
      crons: [
        { path: "/api/report", schedule: "0 5 * * *" },
        { path: "/api/cron/sweep", schedule: "*/15 * * * *" },
      ],
    });
    expect(withVercelCrons({}, [])).toEqual({ crons: [] });
    expect(() => withVercelCrons([], [])).toThrow(ConfigError);
    expect(() => withVercelCrons({ crons: {} }, [])).toThrow(ConfigError);
  });
});
