// Issue 12 item 14: plain JavaScript callers (no types to protect them) get ConfigErrors naming the
// key or argument, never a raw TypeError or a silently ignored option.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, createSwitchyard, defineJob, memory, silentLogger } from "../src/index.js";

const ping = defineJob({ name: "ping", schema: z.object({ n: z.number() }), handler: () => {} });

// biome-ignore lint/suspicious/noExplicitAny: these tests call the API as untyped JavaScript would.
type Untyped = any;

async function configError(run: () => unknown): Promise<ConfigError> {
  const error = await Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

function client() {
  return createSwitchyard({ backend: memory(), jobs: [ping], logger: silentLogger });
}

describe("plain JavaScript callers", () => {
  it("a misspelt enqueue option is a ConfigError naming it, and nothing is enqueued", async () => {
    const jobs = client();
    const error = await configError(() => jobs.enqueue(ping, { n: 1 }, { dealy: "1h" } as Untyped));
    expect(error.message).toMatch(/unknown option "dealy"/);
    expect(error.message).toMatch(/delay/);
    expect(await jobs.get("mem-1")).toBeUndefined();
  });

  it("enqueueMany with one idempotencyKey is refused (it would deduplicate all but the first)", async () => {
    const jobs = client();
    const error = await configError(() =>
      jobs.enqueueMany(ping, [{ n: 1 }, { n: 2 }], { idempotencyKey: "k" } as Untyped),
    );
    expect(error.message).toMatch(/idempotencyKey/);
    expect(await jobs.get("mem-1")).toBeUndefined();
  });

  it.each([
    ["enqueue(undefined, ...)", (jobs: Untyped) => jobs.enqueue(undefined, { n: 1 }), /defineJob/],
    [
      "enqueue options null",
      (jobs: Untyped) => jobs.enqueue(ping, { n: 1 }, null),
      /options must be an object/,
    ],
    ["enqueueMany(job, 'abc')", (jobs: Untyped) => jobs.enqueueMany(ping, "abc"), /must be an array/],
    ["get(42)", (jobs: Untyped) => jobs.get(42), /id must be a non-empty string/],
    [
      "work({ concurency: 2 })",
      (jobs: Untyped) => jobs.work({ concurency: 2 }),
      /unknown option "concurency"/,
    ],
    ["listFailed({ limit: 0 })", (jobs: Untyped) => jobs.listFailed({ limit: 0 }), /limit/],
    ["enqueue priority '1'", (jobs: Untyped) => jobs.enqueue(ping, { n: 1 }, { priority: "1" }), /priority/],
    [
      "enqueue delay {}",
      (jobs: Untyped) => jobs.enqueue(ping, { n: 1 }, { delay: {} }),
      /delay must look like/,
    ],
  ])("%s is a ConfigError", async (_title, call, message) => {
    const error = await configError(() => call(client()));
    expect(error.message).toMatch(message);
  });

  it.each([
    ["defineJob(undefined)", () => defineJob(undefined as Untyped), /job config object/],
    [
      "defineJob with a misspelt key",
      () => defineJob({ name: "a", schema: z.object({}), handler() {}, retries: 3 } as Untyped),
      /unknown option "retries"/,
    ],
    [
      "cron: 5",
      () => defineJob({ name: "a", schema: z.object({}), handler() {}, schedule: { cron: 5 } } as Untyped),
      /cron must be a string/,
    ],
    [
      "retry: { maxAtempts }",
      () => defineJob({ name: "a", schema: z.object({}), handler() {}, retry: { maxAtempts: 2 } } as Untyped),
      /unknown option "maxAtempts"/,
    ],
    [
      "idempotencyKey: 'k'",
      () => defineJob({ name: "a", schema: z.object({}), handler() {}, idempotencyKey: "k" } as Untyped),
      /idempotencyKey must be a function/,
    ],
    [
      "createSwitchyard({ jobs: undefined })",
      () => createSwitchyard({ jobs: undefined } as Untyped),
      /jobs must be an array/,
    ],
    ["createSwitchyard(undefined)", () => createSwitchyard(undefined as Untyped), /jobs must be an array/],
    [
      "createSwitchyard({ jobs: [undefined] })",
      () => createSwitchyard({ jobs: [undefined] } as Untyped),
      /jobs\[0\]/,
    ],
    [
      "createSwitchyard with a misspelt key",
      () => createSwitchyard({ jobs: [], backned: memory() } as Untyped),
      /unknown option "backned"/,
    ],
  ])("%s is a ConfigError", async (_title, call, message) => {
    const error = await configError(call);
    expect(error.message).toMatch(message);
  });
});
