// OpenTelemetry on every backend (issue 17): the enqueuer's trace context travels with the job, each
// attempt is a span in that trace, and attempts are counted and timed.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { DataPoint, Histogram } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { defineJob, type Telemetry, type TraceContext } from "@switchyard/core";
import {
  ATTR_ATTEMPT,
  ATTR_BACKEND,
  ATTR_DESTINATION_NAME,
  ATTR_JOB_STATE,
  ATTR_MESSAGE_ID,
  ATTR_MESSAGING_SYSTEM,
  ATTR_OPERATION_TYPE,
  ATTR_OUTCOME,
  METRIC_ATTEMPTS,
  METRIC_PROCESS_DURATION,
  METRIC_QUEUE_DEPTH,
} from "@switchyard/core/otel";
import { expect } from "vitest";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { numberPayload } from "./fixtures.js";

const PENDING_STATES = ["waiting", "delayed", "active"];

export const telemetryScenarios = [
  defineScenario({
    id: "telemetry.trace-context",
    title:
      "each attempt is a span in the enqueuer's trace (child of and linked to the enqueue span) with the messaging attributes; attempts are counted by outcome and timed; queue depth where the backend counts",
    requires: ["retry.backoff.fixed"],
    async run(t) {
      const recorder = t.telemetry();
      const jobName = t.jobName("traced");
      const job = defineJob({
        name: jobName,
        schema: numberPayload,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "1s" } },
        handler: (_p, ctx) => {
          // A span of the app's own, inside the handler: it must nest under the attempt's span.
          recorder.tracer.startSpan(`handler ${ctx.attempt}`).end();
          if (ctx.attempt === 1) throw new Error("first attempt fails");
          return "ok";
        },
      });
      const client = await t.client([job], { telemetry: recorder.telemetry });
      const { id } = await recorder.tracer.startActiveSpan("enqueuing code", async (span) => {
        try {
          return await client.enqueue(job, { n: 1 });
        } finally {
          span.end();
        }
      });
      const root = recorder.spans().find((span) => span.name === "enqueuing code" && span.ended)!;
      const enqueue = recorder.spans().find((span) => span.name === `enqueue ${jobName}`);
      expect(enqueue, "an enqueue span").toBeDefined();
      expect(enqueue!.kind).toBe(SpanKind.PRODUCER);
      expect(enqueue!.parentSpanContext?.spanId, "the enqueue span is a child of the enqueuing code").toBe(
        root.spanContext().spanId,
      );
      expect(enqueue!.attributes).toMatchObject({
        [ATTR_MESSAGING_SYSTEM]: "switchyard",
        [ATTR_OPERATION_TYPE]: "send",
        [ATTR_DESTINATION_NAME]: jobName,
        [ATTR_MESSAGE_ID]: id,
        [ATTR_BACKEND]: t.harness.name,
      });

      // Queue depth, read before the runtime starts: the job is pending wherever the backend counts.
      const depth = (await recorder.metricPoints(METRIC_QUEUE_DEPTH)).filter(
        (point) => point.attributes[ATTR_DESTINATION_NAME] === jobName,
      );
      if (typeof (client.backend as { counts?: unknown }).counts === "function") {
        const pendingPoints = depth.filter((point) =>
          PENDING_STATES.includes(String(point.attributes[ATTR_JOB_STATE])),
        );
        const pending = pendingPoints.reduce((sum, point) => sum + Number(point.value), 0);
        const counted = client.capabilities.jobStates?.counted ?? [];
        if (PENDING_STATES.some((state) => counted.includes(state as never))) {
          expect(pending, "the queue-depth gauge counts the enqueued job").toBe(1);
        } else {
          // QStash, Inngest: no count of pending jobs, so no pending series (never a false 0).
          expect(pendingPoints, "no pending-state series where the backend cannot count them").toEqual([]);
        }
      } else {
        expect(depth, "no queue-depth gauge without Backend.counts").toEqual([]);
      }

      await t.start(client);
      const attempts = () =>
        recorder
          .spans()
          .filter((span) => span.name === `process ${jobName}`)
          .sort((a, b) => Number(a.attributes[ATTR_ATTEMPT]) - Number(b.attributes[ATTR_ATTEMPT]));
      await waitFor(() => attempts().length === 2, { message: "two attempt spans" });
      const [first, second] = attempts() as [ReadableSpan, ReadableSpan];
      const trace = root.spanContext().traceId;
      for (const [index, span] of [first, second].entries()) {
        expect(span.kind).toBe(SpanKind.CONSUMER);
        expect(span.spanContext().traceId, "the attempt is in the enqueuer's trace").toBe(trace);
        expect(span.parentSpanContext?.spanId, "the attempt is a child of the enqueue span").toBe(
          enqueue!.spanContext().spanId,
        );
        expect(
          span.links.map((link) => link.context.spanId),
          "the attempt links to the enqueue span",
        ).toEqual([enqueue!.spanContext().spanId]);
        expect(span.attributes).toMatchObject({
          [ATTR_MESSAGING_SYSTEM]: "switchyard",
          [ATTR_OPERATION_TYPE]: "process",
          [ATTR_DESTINATION_NAME]: jobName,
          [ATTR_MESSAGE_ID]: id,
          [ATTR_ATTEMPT]: index + 1,
          [ATTR_BACKEND]: t.harness.name,
          [ATTR_OUTCOME]: index === 0 ? "retrying" : "completed",
        });
        const inside = recorder.spans().find((s) => s.name === `handler ${index + 1}`);
        expect(inside?.parentSpanContext?.spanId, "the handler runs inside its attempt's span").toBe(
          span.spanContext().spanId,
        );
      }
      expect(first.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "first attempt fails" });
      expect(first.events.map((event) => event.name)).toEqual(["exception"]);
      expect(second.status.code).toBe(SpanStatusCode.UNSET);

      const counted = await recorder.metricPoints(METRIC_ATTEMPTS);
      const byOutcome = Object.fromEntries(
        counted
          .filter((point) => point.attributes[ATTR_DESTINATION_NAME] === jobName)
          .map((point) => [point.attributes[ATTR_OUTCOME], point.value]),
      );
      expect(byOutcome).toEqual({ retrying: 1, completed: 1 });
      const timed = (await recorder.metricPoints(METRIC_PROCESS_DURATION)) as DataPoint<Histogram>[];
      const durations = timed.filter((point) => point.attributes[ATTR_DESTINATION_NAME] === jobName);
      expect(durations.reduce((sum, point) => sum + point.value.count, 0)).toBe(2);
    },
  }),
  defineScenario({
    id: "telemetry.enqueue-paths",
    title:
      "the trace context of each job comes back on its attempt whichever way it was enqueued (alone, with an idempotency key, in a batch); a job stored without one runs without one",
    requires: ["enqueue.bulk", "idempotency"],
    async run(t) {
      const seen = new Map<number, TraceContext | undefined>();
      const job = defineJob({ name: t.jobName("trace-paths"), schema: numberPayload, handler: () => {} });
      // A stand-in for openTelemetry(): it tags each request with its payload's number (none for 0),
      // so that a context handed to the wrong job, or lost on one path, shows.
      const tagging: Telemetry = {
        attach() {},
        close() {},
        enqueue(_job, requests, send) {
          for (const request of requests) {
            const n = (request.payload as { n: number }).n;
            if (n !== 0) request.traceContext = { traceparent: `tag-${n}`, tracestate: `switchyard=${n}` };
          }
          return send();
        },
        async attempt(_job, input, run) {
          seen.set((input.payload as { n: number }).n, input.traceContext);
          return run();
        },
      };
      const client = await t.client([job], { telemetry: tagging });
      await client.enqueue(job, { n: 0 });
      await client.enqueue(job, { n: 1 });
      await client.enqueue(job, { n: 2 }, { idempotencyKey: t.jobName("key") });
      await client.enqueueMany(job, [{ n: 3 }, { n: 4 }]);
      await t.start(client);
      await waitFor(() => seen.size === 5, { message: "five attempts" });
      expect(seen.get(0), "a job stored without a trace context runs without one").toBeUndefined();
      for (const n of [1, 2, 3, 4]) {
        expect(seen.get(n), `job ${n}`).toEqual({ traceparent: `tag-${n}`, tracestate: `switchyard=${n}` });
      }
    },
  }),
  defineScenario({
    id: "telemetry.retry",
    title: "a failed job run again by retry(id) keeps the trace context it was enqueued with",
    requires: ["jobs.retry", "jobs.get"],
    async run(t) {
      const seen: Array<TraceContext | undefined> = [];
      let healthy = false;
      const job = defineJob({
        name: t.jobName("trace-retry"),
        schema: numberPayload,
        retry: { maxAttempts: 1 },
        handler: () => {
          if (!healthy) throw new Error("downstream is down");
        },
      });
      const traceContext = { traceparent: "tag-retry" };
      const tagging: Telemetry = {
        attach() {},
        close() {},
        enqueue(_job, requests, send) {
          for (const request of requests) request.traceContext = traceContext;
          return send();
        },
        async attempt(_job, input, run) {
          seen.push(input.traceContext);
          return run();
        },
      };
      const client = await t.client([job], { telemetry: tagging });
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(async () => (await client.get(id))?.state === "failed", { message: "the job to fail" });
      healthy = true;
      expect(await client.retry(id)).toBe(true);
      await waitFor(async () => (await client.get(id))?.state === "completed", {
        message: "the retried job to complete",
      });
      expect(seen).toEqual([traceContext, traceContext]);
    },
  }),
];
