// Issue 17 item 1: lifecycle events and a job-scoped ctx.log, on the reference backend.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createSwitchyard, defineJob, type JobEvent, type JobLogger, memory } from "../src/index.js";

function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const logger: JobLogger = {
    info: (message, fields) => void lines.push({ level: "info", message, fields }),
    warn: (message, fields) => void lines.push({ level: "warn", message, fields }),
    error: (message, fields) => void lines.push({ level: "error", message, fields }),
  };
  return { lines, logger };
}

describe("lifecycle events", () => {
  it("an enqueue, a retry and a completion emit enqueued, started, retrying, started, completed", async () => {
    const flaky = defineJob({
      name: "flaky",
      schema: z.object({}),
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "10ms" } },
      handler: (_p, ctx) => {
        if (ctx.attempt === 1) throw Object.assign(new Error("503"), { code: "E503" });
        return "ok";
      },
    });
    const { logger } = recordingLogger();
    const jobs = createSwitchyard({ backend: memory(), jobs: [flaky], logger });
    const seen: JobEvent[] = [];
    jobs.on("*", (event) => void seen.push(event));
    const worker = jobs.work();
    const { id } = await jobs.enqueue(flaky, {});
    // The attempt's events come in order; "enqueued" comes from the enqueuing call, which a worker in
    // the same process may overtake (here the memory backend starts the job before enqueue returns).
    await expect
      .poll(() => seen.filter((event) => event.type !== "enqueued").map((event) => event.type))
      .toEqual(["started", "retrying", "started", "completed"]);
    expect(seen.filter((event) => event.type === "enqueued")).toHaveLength(1);
    expect(seen.every((event) => event.id === id && event.name === "flaky")).toBe(true);
    const retrying = seen.find((event) => event.type === "retrying");
    expect(retrying).toMatchObject({ attempt: 1, delayMs: 10, error: { message: "503", code: "E503" } });
    await worker.stop();
  });

  it("a duplicate enqueue emits deduplicated with its key; a permanent failure emits failed", async () => {
    const doomed = defineJob({
      name: "doomed",
      schema: z.object({}),
      handler: () => {
        throw new Error("no");
      },
      retry: { maxAttempts: 1 },
    });
    const jobs = createSwitchyard({ backend: memory(), jobs: [doomed], logger: recordingLogger().logger });
    const types: string[] = [];
    const off = jobs.on("deduplicated", (event) => void types.push(`deduplicated:${event.idempotencyKey}`));
    jobs.on("failed", (event) => void types.push(`failed:${event.permanent}`));
    await jobs.enqueue(doomed, {}, { idempotencyKey: "k" });
    await jobs.enqueue(doomed, {}, { idempotencyKey: "k" });
    off();
    await jobs.enqueue(doomed, {}, { idempotencyKey: "k" });
    const worker = jobs.work();
    await expect.poll(() => types).toEqual(["deduplicated:k", "failed:false"]);
    await worker.stop();
  });

  it("a listener that throws is logged and the job still completes", async () => {
    const ok = defineJob({ name: "ok", schema: z.object({}), handler: () => "done" });
    const { lines, logger } = recordingLogger();
    const jobs = createSwitchyard({ backend: memory(), jobs: [ok], logger });
    jobs.on("started", () => {
      throw new Error("listener bug");
    });
    jobs.on("completed", async () => {
      throw new Error("async listener bug");
    });
    const worker = jobs.work();
    const { id } = await jobs.enqueue(ok, {});
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("completed");
    await expect.poll(() => lines.filter((line) => line.level === "error").length).toBe(2);
    expect(lines[0]?.message).toMatch(/"started" event listener threw: listener bug/);
    await worker.stop();
  });
});

describe("ctx.log", () => {
  it("carries the job's id, name and attempt on every line; the handler's fields are kept", async () => {
    const chatty = defineJob({
      name: "chatty",
      schema: z.object({}),
      handler: (_p, ctx) => {
        ctx.log.info("working", { step: 1 });
        ctx.log.warn("careful");
      },
    });
    const { lines, logger } = recordingLogger();
    const jobs = createSwitchyard({ backend: memory(), jobs: [chatty], logger });
    const worker = jobs.work();
    const { id } = await jobs.enqueue(chatty, {});
    await expect.poll(() => lines.length).toBe(2);
    expect(lines[0]).toEqual({
      level: "info",
      message: "working",
      fields: { jobId: id, jobName: "chatty", attempt: 1, step: 1 },
    });
    expect(lines[1]?.fields).toEqual({ jobId: id, jobName: "chatty", attempt: 1 });
    await worker.stop();
  });

  it("a pino-like logger gets its fields first, as pino expects", async () => {
    const calls: unknown[][] = [];
    const pinoLike = {
      levels: { values: { info: 30, warn: 40, error: 50 } },
      child: () => pinoLike,
      info: (...args: unknown[]) => void calls.push(args),
      warn: (...args: unknown[]) => void calls.push(args),
      error: (...args: unknown[]) => void calls.push(args),
    };
    const job = defineJob({ name: "p", schema: z.object({}), handler: (_p, ctx) => ctx.log.info("hello") });
    const jobs = createSwitchyard({ backend: memory(), jobs: [job], logger: pinoLike });
    const worker = jobs.work();
    const { id } = await jobs.enqueue(job, {});
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0]).toEqual([{ jobId: id, jobName: "p", attempt: 1 }, "hello"]);
    await worker.stop();
  });
});
