// The emulator's module installs the SDK's task catalog, as the Trigger.dev CLI's indexer does
// before it imports a project's trigger/ files; it must load before @trigger.dev/sdk.
import "@switchyard/emulator-trigger";
import { createSwitchyard, defineJob, memory, silentLogger } from "@switchyard/core";
import { findTaskManifest } from "@switchyard/emulator-trigger";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { toTriggerTasks, trigger } from "../src/index.js";
import { uniqueName } from "./emulated-client.js";

const isTriggerTask = (value: unknown) =>
  typeof value === "object" &&
  value !== null &&
  (value as Record<symbol, unknown>)[Symbol.for("trigger.dev/task")] === true;

describe("the trigger/ folder of a project (test/project/trigger/jobs.ts)", () => {
  let exports: Record<string, unknown>;

  beforeAll(async () => {
    // src/jobs.ts builds its client with fromEnv(), which needs no credentials to be imported: the
    // Trigger.dev CLI imports the file to index the tasks.
    exports = await import("./project/trigger/jobs.js");
  });

  it("exports a real Trigger.dev task per job, with the job's name as id and its settings", () => {
    const expected = {
      liveEcho: "live.echo",
      liveFlaky: "live.flaky",
      liveSlow: "live.slow",
      livePermanent: "live.permanent",
      liveReport: "live.report",
    };
    for (const [name, id] of Object.entries(expected)) {
      expect(isTriggerTask(exports[name]), `${name} is a task object`).toBe(true);
      expect((exports[name] as { id: string }).id).toBe(id);
      expect(findTaskManifest(id), `${id} is in the catalog`).toBeDefined();
    }
    // maxAttempts counts every attempt in both; fixed backoff is factor 1; no Trigger.dev jitter.
    expect(findTaskManifest("live.flaky")?.retry).toEqual({
      maxAttempts: 4,
      factor: 1,
      minTimeoutInMs: 1_000,
      maxTimeoutInMs: 1_000,
      randomize: false,
    });
    expect(findTaskManifest("live.report")?.retry).toEqual({
      maxAttempts: 2,
      factor: 3,
      minTimeoutInMs: 5_000,
      maxTimeoutInMs: 60_000,
      randomize: false,
    });
    // The default policy: 3 attempts, exponential from 1 s, factor 2, no ceiling.
    expect(findTaskManifest("live.echo")?.retry).toMatchObject({
      maxAttempts: 3,
      factor: 2,
      minTimeoutInMs: 1_000,
    });
    expect(findTaskManifest("live.slow")?.concurrency).toMatchObject({ inline: { perKey: 2 } });
    expect(findTaskManifest("live.echo")?.concurrency?.inline).toBeUndefined();
    expect(findTaskManifest("live.echo")?.triggerSource).toBeUndefined();
  });

  it("exports the declared schedule as a scheduled task with its cron and time zone", () => {
    const scheduled = exports.liveReportSchedule as { id: string };
    expect(isTriggerTask(scheduled)).toBe(true);
    expect(scheduled.id).toBe("live.report.schedule");
    expect(findTaskManifest(scheduled.id)).toMatchObject({
      triggerSource: "schedule",
      schedule: { cron: "0 3 * * *", timezone: "Europe/Paris" },
    });
  });

  it("exports the scheduled task behind jobs.schedules.upsert, with no cron of its own", () => {
    const router = exports.switchyardSchedules as { id: string };
    expect(isTriggerTask(router)).toBe(true);
    expect(router.id).toBe("switchyard-schedules");
    const manifest = findTaskManifest(router.id);
    expect(manifest?.triggerSource).toBe("schedule");
    expect(manifest?.schedule).toBeUndefined();
  });
});

describe("toTriggerTasks", () => {
  const payload = z.object({ n: z.number() });

  it("names each task for a destructuring export and returns the same objects when called again", () => {
    const sendEmail = defineJob({ name: uniqueName("send-email"), schema: payload, handler: () => {} });
    const client = createSwitchyard({
      backend: trigger({ secretKey: "tr_dev_x", scheduleTaskId: uniqueName("schedules") }),
      jobs: [sendEmail],
      logger: silentLogger,
    });
    const tasks = toTriggerTasks(client);
    const [suffix] = sendEmail.name.split("-").slice(-1);
    expect(Object.keys(tasks)).toContain(`sendEmail${suffix![0]!.toUpperCase()}${suffix!.slice(1)}`);
    expect(Object.isFrozen(tasks)).toBe(true);
    expect(toTriggerTasks(client)).toBe(tasks);
  });

  it("refuses a client whose backend is not trigger()", () => {
    const job = defineJob({ name: uniqueName("memory-job"), schema: payload, handler: () => {} });
    const client = createSwitchyard({ backend: memory(), jobs: [job], logger: silentLogger });
    expect(() => toTriggerTasks(client)).toThrow(/backend is trigger\(\).*"memory"/);
  });

  it("refuses two jobs whose export names collide", () => {
    const base = uniqueName("report");
    const jobs = [`${base}.daily`, `${base}-daily`].map((name) =>
      defineJob({ name, schema: payload, handler: () => {} }),
    );
    const client = createSwitchyard({
      backend: trigger({ secretKey: "tr_dev_x" }),
      jobs,
      logger: silentLogger,
    });
    expect(() => toTriggerTasks(client)).toThrow(/two tasks would be exported as/);
  });
});
