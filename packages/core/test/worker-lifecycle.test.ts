// Issue 12 items 1, 4 and 13: a worker that cannot start fails loudly; a closed client refuses every
// operation the same way; options are checked before anything acts.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ClientClosedError,
  ConfigError,
  createSwitchyard,
  defineJob,
  memory,
  silentLogger,
} from "../src/index.js";

const ping = defineJob({ name: "ping", schema: z.object({}), handler: () => {} });

describe("a worker that cannot start", () => {
  it("makes a process that awaits nothing exit non-zero, with the error on stderr", async () => {
    const tsx = createRequire(import.meta.url).resolve("tsx");
    const script = fileURLToPath(new URL("./fixtures/unstartable-worker.ts", import.meta.url));
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--conditions=@switchyard/source", "--import", pathToFileURL(tsx).href, script],
        { env: { PATH: process.env.PATH ?? "" }, timeout: 20_000 },
        (error, _stdout, stderr) => resolve({ code: error ? ((error.code as number) ?? null) : 0, stderr }),
      );
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ECONNREFUSED/);
  });
});

describe("a closed client", () => {
  it("refuses every operation with ClientClosedError, and close() stays idempotent", async () => {
    const jobs = createSwitchyard({ backend: memory(), jobs: [ping], logger: silentLogger });
    const { id } = await jobs.enqueue(ping, {});
    await jobs.close();
    await jobs.close();
    const operations: Array<[string, () => unknown]> = [
      ["enqueue", () => jobs.enqueue(ping, {})],
      ["enqueueMany", () => jobs.enqueueMany(ping, [{}])],
      ["get", () => jobs.get(id)],
      ["cancel", () => jobs.cancel(id)],
      ["retry", () => jobs.retry(id)],
      ["listFailed", () => jobs.listFailed()],
      ["counts", () => jobs.counts()],
      ["list", () => jobs.list({ state: "failed" })],
      ["retryFailed", () => jobs.retryFailed()],
      ["schedules.upsert", () => jobs.schedules.upsert(ping, { every: "1m" })],
      ["schedules.remove", () => jobs.schedules.remove("ping")],
      ["schedules.list", () => jobs.schedules.list()],
      ["schedules.sync", () => jobs.schedules.sync()],
      ["work", () => jobs.work()],
      ["handler", () => jobs.handler()],
    ];
    for (const [name, run] of operations) {
      const error = await Promise.resolve()
        .then(run)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error, name).toBeInstanceOf(ClientClosedError);
      expect((error as ClientClosedError).code, name).toBe("SWITCHYARD_CLIENT_CLOSED");
    }
  });
});

describe("stopping", () => {
  it("a graceful stop with a timeout aborts what still runs when the timeout passes, and resolves", async () => {
    let aborted = false;
    const stubborn = defineJob({
      name: "stubborn",
      schema: z.object({}),
      handler: (_p, ctx) =>
        new Promise<void>(() => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
          });
        }),
    });
    const jobs = createSwitchyard({ backend: memory(), jobs: [stubborn], logger: silentLogger });
    const worker = jobs.work();
    const { id } = await jobs.enqueue(stubborn, {});
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("active");
    const started = Date.now();
    await worker.stop({ graceful: true, timeout: "200ms" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(aborted).toBe(true);
    await jobs.close();
  });

  it("a hard stop while a graceful one drains ends both at once", async () => {
    let aborted = false;
    const slow = defineJob({
      name: "slow",
      schema: z.object({}),
      handler: (_p, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        }),
    });
    const jobs = createSwitchyard({ backend: memory(), jobs: [slow], logger: silentLogger });
    const worker = jobs.work();
    const { id } = await jobs.enqueue(slow, {});
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("active");
    const graceful = worker.stop({ graceful: true });
    await worker.stop({ graceful: false });
    await graceful;
    expect(aborted).toBe(true);
    await jobs.close();
  });
});

describe("validate first, act second", () => {
  it("stop({ timeout: '-1s' }) throws before stopping: the worker runs on and a later stop works", async () => {
    const jobs = createSwitchyard({ backend: memory(), jobs: [ping], logger: silentLogger });
    const worker = jobs.work();
    await expect(worker.stop({ timeout: "-1s" as never })).rejects.toThrow(ConfigError);
    const { id } = await jobs.enqueue(ping, {});
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("completed");
    await worker.stop({ timeout: "1s" });
    await jobs.close();
  });

  it("a declared schedule whose payload fails the schema fails defineJob", () => {
    expect(() =>
      defineJob({
        name: "report",
        schema: z.object({ day: z.string() }),
        schedule: { every: "1h", payload: { day: 1 } as never },
        handler: () => {},
      }),
    ).toThrow(/schedule "report" of job "report": its payload is invalid: .*day/);
  });

  it("with an async schema, the failing schedule rejects ready and the worker stops taking jobs", async () => {
    const asyncSchema = {
      "~standard": {
        version: 1 as const,
        vendor: "test",
        validate: async (value: unknown) =>
          (value as { ok?: boolean })?.ok ? { value } : { issues: [{ message: "not ok" }] },
      },
    };
    let runs = 0;
    const job = defineJob({
      name: "async-report",
      schema: asyncSchema,
      schedule: { every: "1h", payload: { ok: false } },
      handler: () => {
        runs++;
      },
    });
    const jobs = createSwitchyard({ backend: memory(), jobs: [job], logger: silentLogger });
    const worker = jobs.work();
    await expect(worker.ready).rejects.toThrow(/not ok/);
    await jobs.enqueue(job, { ok: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toBe(0);
    await worker.stop();
  });
});
