// Issue 17 item 2: @switchyard/core/otel on the reference backend (the conformance kit's telemetry.*
// scenarios prove the trace context on every backend).
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readTraceContext } from "../src/adapter.js";
import {
  ConfigError,
  createSwitchyard,
  defineJob,
  type JobLogger,
  memory,
  PermanentError,
} from "../src/index.js";
import {
  ATTR_DESTINATION_NAME,
  ATTR_ERROR_TYPE,
  ATTR_JOB_STATE,
  ATTR_OUTCOME,
  METRIC_ATTEMPTS,
  METRIC_QUEUE_DEPTH,
  openTelemetry,
} from "../src/otel.js";
import { otelSdk } from "./fixtures/otel-sdk.js";

const payload = z.object({});
const quiet: JobLogger = { info() {}, warn() {}, error() {} };

/** Every module reachable from `entry` through relative imports. */
function moduleGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const [, specifier] of readFileSync(entry, "utf8").matchAll(/(?:from|import)\s*\(?"(\.[^"]+)"/g)) {
    moduleGraph(resolve(dirname(entry), specifier!.replace(/\.js$/, ".ts")), seen);
  }
  return seen;
}

describe("@switchyard/core/otel", () => {
  it("core's entry points never load @opentelemetry/api: only the otel subpath does", () => {
    const src = join(import.meta.dirname, "../src");
    for (const entry of ["index.ts", "adapter.ts"]) {
      for (const file of moduleGraph(join(src, entry))) {
        expect(readFileSync(file, "utf8"), file).not.toMatch(/(?:from|import)\s*\(?"@opentelemetry\//);
      }
    }
    expect(readFileSync(join(src, "otel/open-telemetry.ts"), "utf8")).toMatch(/from "@opentelemetry\/api"/);
  });

  it("bad options are a ConfigError", () => {
    expect(() => openTelemetry({ attemptSpan: "parent" as never })).toThrow(ConfigError);
    expect(() => openTelemetry({ queueDepth: "yes" as never })).toThrow(ConfigError);
    expect(() => openTelemetry({ queueDepthInterval: "soon" as never })).toThrow(/queueDepthInterval/);
    expect(() => openTelemetry({ tracer: {} } as never)).toThrow(/unknown option "tracer"/);
    const job = defineJob({ name: "j", schema: payload, handler: () => {} });
    expect(() => createSwitchyard({ jobs: [job], telemetry: {} as never })).toThrow(ConfigError);
    const shared = openTelemetry();
    createSwitchyard({ jobs: [job], telemetry: shared });
    expect(() => createSwitchyard({ jobs: [job], telemetry: shared })).toThrow(/already serves a client/);
  });

  it('attemptSpan "link": the attempt starts its own trace, linked to the enqueue', async () => {
    const sdk = otelSdk();
    const job = defineJob({ name: "linked", schema: payload, handler: () => {} });
    const jobs = createSwitchyard({
      backend: memory(),
      jobs: [job],
      logger: quiet,
      telemetry: openTelemetry({ ...sdk.options, attemptSpan: "link" }),
    });
    const worker = jobs.work();
    await sdk.tracer.startActiveSpan("caller", async (span) => {
      await jobs.enqueue(job, {});
      span.end();
    });
    await expect.poll(() => sdk.spans().filter((span) => span.name === "process linked")).toHaveLength(1);
    const enqueue = sdk.spans().find((span) => span.name === "enqueue linked")!;
    const attempt = sdk.spans().find((span) => span.name === "process linked")!;
    expect(attempt.spanContext().traceId).not.toBe(enqueue.spanContext().traceId);
    expect(attempt.parentSpanContext).toBeUndefined();
    expect(attempt.links.map((link) => link.context.spanId)).toEqual([enqueue.spanContext().spanId]);
    await worker.stop();
    await jobs.close();
  });

  it("a permanent failure ends its span in error with error.type, and is counted as failed", async () => {
    const sdk = otelSdk();
    const job = defineJob({
      name: "doomed",
      schema: payload,
      handler: () => {
        throw new PermanentError("no such account");
      },
    });
    const jobs = createSwitchyard({
      backend: memory(),
      jobs: [job],
      logger: quiet,
      telemetry: openTelemetry(sdk.options),
    });
    const worker = jobs.work();
    await jobs.enqueue(job, {});
    await expect.poll(() => sdk.spans().filter((span) => span.name === "process doomed")).toHaveLength(1);
    const attempt = sdk.spans().find((span) => span.name === "process doomed")!;
    expect(attempt.kind).toBe(SpanKind.CONSUMER);
    expect(attempt.status).toEqual({ code: SpanStatusCode.ERROR, message: "no such account" });
    expect(attempt.attributes).toMatchObject({
      [ATTR_OUTCOME]: "failed",
      [ATTR_ERROR_TYPE]: "SWITCHYARD_PERMANENT",
    });
    expect(attempt.events[0]?.attributes?.["exception.message"]).toBe("no such account");
    const counted = await sdk.points(METRIC_ATTEMPTS);
    expect(counted.map((point) => [point.attributes[ATTR_OUTCOME], point.value])).toEqual([["failed", 1]]);
    await worker.stop();
    await jobs.close();
  });

  it("an enqueue the backend refuses ends its producer span in error and still throws", async () => {
    const sdk = otelSdk();
    const backend = memory();
    backend.enqueue = () => Promise.reject(Object.assign(new Error("store down"), { code: "E_DOWN" }));
    const job = defineJob({ name: "refused", schema: payload, handler: () => {} });
    const jobs = createSwitchyard({
      backend,
      jobs: [job],
      logger: quiet,
      telemetry: openTelemetry(sdk.options),
    });
    await expect(jobs.enqueue(job, {})).rejects.toThrow("store down");
    const [span] = sdk.spans();
    expect(span?.name).toBe("enqueue refused");
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: "store down" });
    expect(span?.attributes[ATTR_ERROR_TYPE]).toBe("E_DOWN");
    await jobs.close();
  });

  it("the queue-depth gauge reports the backend's counts per job and state, and stops at close", async () => {
    const sdk = otelSdk();
    let calls = 0;
    const backend = Object.assign(memory(), {
      counts: async ({ job }: { job?: string }) => {
        calls++;
        return job === "deep" ? { waiting: 2, delayed: 1 } : {};
      },
    });
    const job = defineJob({ name: "deep", schema: payload, handler: () => {} });
    const jobs = createSwitchyard({
      backend,
      jobs: [job],
      logger: quiet,
      telemetry: openTelemetry({ ...sdk.options, queueDepthInterval: 0 }),
    });
    const depth = async () =>
      (await sdk.points(METRIC_QUEUE_DEPTH)).map((point) => [
        point.attributes[ATTR_DESTINATION_NAME],
        point.attributes[ATTR_JOB_STATE],
        point.value,
      ]);
    // Every state the backend counts (memory: all six), zeros included: a drained queue reads 0.
    expect(await depth()).toEqual([
      ["deep", "waiting", 2],
      ["deep", "delayed", 1],
      ["deep", "active", 0],
      ["deep", "completed", 0],
      ["deep", "failed", 0],
      ["deep", "cancelled", 0],
    ]);
    expect(calls).toBe(1);
    await depth();
    expect(calls, "an interval of 0 counts at each collection").toBe(2);
    await jobs.close();
    await depth();
    expect(calls, "no count after close").toBe(2);
  });

  it("the queue-depth gauge counts at most once per queueDepthInterval (default 60 s)", async () => {
    const sdk = otelSdk();
    let calls = 0;
    const backend = Object.assign(memory(), {
      counts: async () => {
        calls++;
        return { waiting: calls };
      },
    });
    const jobs = createSwitchyard({
      backend,
      jobs: [
        defineJob({ name: "one", schema: payload, handler: () => {} }),
        defineJob({ name: "two", schema: payload, handler: () => {} }),
      ],
      logger: quiet,
      telemetry: openTelemetry(sdk.options),
    });
    const waiting = async () =>
      (await sdk.points(METRIC_QUEUE_DEPTH))
        .filter((point) => point.attributes[ATTR_JOB_STATE] === "waiting")
        .map((point) => point.value);
    expect(await waiting()).toEqual([1, 2]);
    expect(await waiting(), "the last counts again").toEqual([1, 2]);
    expect(calls, "one count per job").toBe(2);
    await jobs.close();
  });

  it("readTraceContext takes a stored map or its JSON, and nothing else", () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    expect(readTraceContext({ traceparent })).toEqual({ traceparent });
    expect(readTraceContext(JSON.stringify({ traceparent }))).toEqual({ traceparent });
    for (const junk of [undefined, null, "", "{", "[]", 42, {}, { traceparent: 1 }, ["x"]]) {
      expect(readTraceContext(junk), JSON.stringify(junk)).toBeUndefined();
    }
  });
});
