// What a backend stores is JSON: every JSON value a payload can be arrives exactly (a `null` payload
// is not `{}`), and a result JSON cannot hold fails the job instead of the worker (issue 12, 9-10).
import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";

const JSON_VALUES: ReadonlyArray<unknown> = [
  null,
  0,
  -12.5,
  "",
  "text",
  true,
  [],
  [1, null, { a: null }],
  { a: null, b: [], c: {} },
];

export const storedValueScenarios = [
  defineScenario({
    id: "payload.json-values",
    title: "every kind of JSON value arrives as sent: null, numbers, strings, booleans, arrays, nested nulls",
    requires: [],
    timeoutMs: 60_000,
    async run(t) {
      const received = new Map<string, unknown>();
      const job = defineJob({
        name: t.jobName("json-values"),
        schema: z.object({ index: z.number(), value: z.unknown() }).strict(),
        handler: (payload) => void received.set(String(payload.index), payload.value),
      });
      const client = await t.client([job]);
      await t.start(client);
      for (const [index, value] of JSON_VALUES.entries()) await client.enqueue(job, { index, value });
      await waitFor(() => received.size === JSON_VALUES.length, {
        message: `all ${JSON_VALUES.length} payloads to arrive`,
        timeoutMs: 30_000,
      });
      for (const [index, value] of JSON_VALUES.entries()) {
        expect(received.get(String(index)), `value #${index}`).toStrictEqual(value);
      }
    },
  }),
  defineScenario({
    id: "payload.null",
    title: "a null payload arrives as null, not as {}",
    requires: [],
    async run(t) {
      const received: unknown[] = [];
      const job = defineJob({
        name: t.jobName("null-payload"),
        schema: z.null(),
        handler: (payload) => void received.push(payload),
      });
      const client = await t.client([job]);
      await t.start(client);
      await client.enqueue(job, null);
      await waitFor(() => received.length === 1, { message: "the null payload to arrive" });
      expect(received[0]).toBeNull();
    },
  }),
  defineScenario({
    id: "results.unstorable",
    title: "a handler returning a value JSON cannot hold (BigInt) fails the job once, permanently",
    requires: [],
    async run(t) {
      let calls = 0;
      const job = defineJob({
        name: t.jobName("unstorable"),
        schema: z.object({}),
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "200ms" } },
        handler: () => {
          calls++;
          return { big: 10n };
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, {});
      await waitFor(() => calls === 1, { message: "the handler to run" });
      if (client.capabilities.features["jobs.get"] !== "unsupported") {
        const failed = await waitFor(
          async () => {
            const snapshot = await client.get(id);
            return snapshot?.state === "failed" && snapshot;
          },
          { message: "the job to fail" },
        );
        expect(failed.error?.code).toBe("SWITCHYARD_UNSTORABLE_RESULT");
      }
      await sleep(1_500); // three retry delays: no second attempt comes
      expect(calls).toBe(1);
    },
  }),
  defineScenario({
    id: "client.closed",
    title: "after close() every operation fails with ClientClosedError",
    requires: [],
    async run(t) {
      const job = defineJob({ name: t.jobName("closed"), schema: z.object({}), handler: () => {} });
      const client = await t.client([job]);
      await client.close();
      const operations: Array<[string, () => unknown]> = [
        ["enqueue", () => client.enqueue(job, {})],
        ["enqueueMany", () => client.enqueueMany(job, [{}])],
        ["get", () => client.get("any")],
        ["cancel", () => client.cancel("any")],
        ["retry", () => client.retry("any")],
        ["listFailed", () => client.listFailed()],
        ["schedules.list", () => client.schedules.list()],
        ["schedules.sync", () => client.schedules.sync()],
        [
          client.capabilities.execution === "http" ? "handler" : "work",
          () => (client.capabilities.execution === "http" ? client.handler() : client.work()),
        ],
      ];
      for (const [name, operation] of operations) {
        const error = await Promise.resolve()
          .then(operation)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect((error as { code?: string } | undefined)?.code, name).toBe("SWITCHYARD_CLIENT_CLOSED");
      }
    },
  }),
];
