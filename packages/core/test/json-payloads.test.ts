// Issue 12 items 9 and 10: what the handler receives is the payload's JSON copy, checked at enqueue;
// what a handler returns must be storable, or the job fails (permanently) instead of the process.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type AnyJobDefinition,
  createSwitchyard,
  defineJob,
  memory,
  silentLogger,
  ValidationError,
} from "../src/index.js";

function client(job: AnyJobDefinition) {
  return createSwitchyard({ backend: memory(), jobs: [job], logger: silentLogger });
}

async function validationError(run: () => Promise<unknown>): Promise<ValidationError> {
  const error = await run().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe("payloads are checked as the JSON the backend will store", () => {
  const anything = defineJob({ name: "anything", schema: z.any(), handler: () => {} });

  it.each([
    ["a Date", { at: new Date() }, ["at"], /Date .*toISOString/],
    ["a Map", { tags: new Map() }, ["tags"], /Map/],
    ["a function", { fn: () => 1 }, ["fn"], /function/],
    ["a BigInt", { big: 10n }, ["big"], /BigInt/],
    ["NaN", { n: Number.NaN }, ["n"], /JSON number/],
    ["undefined in an array", { list: [1, undefined] }, ["list", 1], /undefined/],
    ["a top-level undefined", undefined, [], /undefined/],
  ])(
    "%s is a ValidationError naming its path, and nothing is enqueued",
    async (_t, payload, path, message) => {
      const jobs = client(anything);
      const error = await validationError(() => jobs.enqueue(anything, payload));
      expect(error.issues[0]?.path).toEqual(path);
      expect(error.issues[0]?.message).toMatch(message);
      expect(await jobs.get("mem-1")).toBeUndefined();
    },
  );

  it("a circular payload is a ValidationError, not a TypeError", async () => {
    const jobs = client(anything);
    const payload: Record<string, unknown> = { a: 1 };
    payload.self = payload;
    const error = await validationError(() => jobs.enqueue(anything, payload));
    expect(error.issues[0]?.path).toEqual(["self"]);
  });

  it("a payload that passes the schema only before the JSON round trip is refused", async () => {
    const dated = defineJob({ name: "dated", schema: z.object({ at: z.date() }), handler: () => {} });
    const jobs = client(dated);
    await validationError(() => jobs.enqueue(dated, { at: new Date() }));
  });

  it("enqueueMany is all or nothing: a bad payload at index 1 leaves index 0 unstored", async () => {
    const jobs = client(anything);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = await validationError(() => jobs.enqueueMany(anything, [{ ok: 1 }, circular]));
    expect(error.issues[0]?.path).toEqual([1, "self"]);
    expect(await jobs.get("mem-1")).toBeUndefined();
  });

  it("null is a payload like any other JSON value and arrives as null", async () => {
    let received: unknown = "not called";
    const nullable = defineJob({
      name: "nullable",
      schema: z.null(),
      handler: (payload) => {
        received = payload;
      },
    });
    const jobs = client(nullable);
    const worker = jobs.work();
    const { id } = await jobs.enqueue(nullable, null);
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("completed");
    expect(received).toBeNull();
    await worker.stop();
  });

  it("an undefined object property is left out, as JSON does", async () => {
    let received: unknown;
    const optional = defineJob({
      name: "optional",
      schema: z.object({ a: z.number(), b: z.string().optional() }),
      handler: (payload) => {
        received = payload;
      },
    });
    const jobs = client(optional);
    const worker = jobs.work();
    const { id } = await jobs.enqueue(optional, { a: 1, b: undefined });
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("completed");
    expect(received).toEqual({ a: 1 });
    expect(Object.keys(received as object)).toEqual(["a"]);
    await worker.stop();
  });
});

describe("results are stored as JSON", () => {
  it.each([
    ["a BigInt", () => 10n],
    [
      "a circular object",
      () => {
        const value: Record<string, unknown> = {};
        value.self = value;
        return value;
      },
    ],
  ])("a handler returning %s fails the job permanently; the process goes on", async (_t, make) => {
    let calls = 0;
    const job = defineJob({
      name: "returns",
      schema: z.object({}),
      retry: { maxAttempts: 3 },
      handler: () => {
        calls++;
        return make();
      },
    });
    const jobs = client(job);
    const worker = jobs.work();
    const { id } = await jobs.enqueue(job, {});
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("failed");
    const snapshot = await jobs.get(id);
    expect(snapshot?.error?.code).toBe("SWITCHYARD_UNSTORABLE_RESULT");
    expect(calls).toBe(1);
    await worker.stop();
  });

  it("a Date result is stored as its ISO string, as every backend stores it", async () => {
    const at = new Date("2026-01-01T00:00:00.000Z");
    const job = defineJob({ name: "dated", schema: z.object({}), handler: () => ({ at }) });
    const jobs = client(job);
    const worker = jobs.work();
    const { id } = await jobs.enqueue(job, {});
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("completed");
    expect((await jobs.get(id))?.result).toEqual({ at: "2026-01-01T00:00:00.000Z" });
    await worker.stop();
  });
});

describe("schedule payloads", () => {
  it("a null schedule payload stays null (only a missing one defaults to {})", () => {
    const nullable = defineJob({
      name: "nullable",
      schema: z.null(),
      schedule: { every: "1h", payload: null },
      handler() {},
    });
    expect(nullable.schedules[0]?.payload).toBeNull();
    const plain = defineJob({ name: "plain", schema: z.object({}), schedule: { every: "1h" }, handler() {} });
    expect(plain.schedules[0]?.payload).toEqual({});
  });
});
