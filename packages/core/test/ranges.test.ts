// Issue 12 items 11 and 12: values core accepts must be ones every backend can hold, checked once
// here with a ConfigError naming the option, not a raw database error or a timer that fires at once.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { setLongTimeout } from "../src/adapter.js";
import {
  ConfigError,
  createSwitchyard,
  defineJob,
  type EnqueueOptions,
  MAX_DURATION_MS,
  memory,
  silentLogger,
} from "../src/index.js";

const ping = defineJob({ name: "ping", schema: z.object({}), handler: () => {} });

function client() {
  return createSwitchyard({ backend: memory(), jobs: [ping], logger: silentLogger });
}

describe("ranges", () => {
  it.each([
    ["an idempotency key with NUL", { idempotencyKey: "a\u0000b" }, /idempotency key/],
    ["a concurrency key with a newline", { concurrencyKey: "a\nb" }, /concurrencyKey/],
    ["delay: 1e20", { delay: 1e20 }, /delay must be at most 10 years/],
    ["delay: '20000d'", { delay: "20000d" }, /delay must be at most 10 years/],
    ["runAt near the largest Date", { runAt: new Date(8.64e15 - 1) }, /runAt must be at most 10 years ahead/],
  ])("%s is a ConfigError and nothing is stored", async (_title, options, message) => {
    const limited = defineJob({ name: "limited", schema: z.object({}), concurrency: 1, handler: () => {} });
    const jobs = createSwitchyard({ backend: memory(), jobs: [limited], logger: silentLogger });
    const error = await jobs.enqueue(limited, {}, options as EnqueueOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect(await jobs.get("mem-1")).toBeUndefined();
  });

  it("a priority outside 0..1000 or not an integer is a ConfigError", async () => {
    const jobs = client();
    for (const priority of [-1, 1001, 2.5]) {
      await expect(jobs.enqueue(ping, {}, { priority })).rejects.toBeInstanceOf(ConfigError);
    }
    expect(await jobs.get("mem-1")).toBeUndefined();
  });

  it("a maxAttempts that is not a positive integer is a ConfigError at defineJob", () => {
    for (const maxAttempts of [-1, 0, 1.5, "3" as unknown as number, Number.NaN]) {
      expect(() =>
        defineJob({ name: "a", schema: z.object({}), handler() {}, retry: { maxAttempts } }),
      ).toThrow(/maxAttempts/);
    }
  });

  it("a delay of exactly 10 years is accepted", async () => {
    const jobs = client();
    const { id } = await jobs.enqueue(ping, {}, { delay: MAX_DURATION_MS });
    expect((await jobs.get(id))?.state).toBe("delayed");
  });

  it("timeout: 0 is refused (every attempt would time out at once)", () => {
    expect(() => defineJob({ name: "a", schema: z.object({}), handler() {}, timeout: 0 })).toThrow(
      /timeout must be at least 1 ms/,
    );
  });

  it("a 30-day job timeout does not fire early", async () => {
    const slow = defineJob({
      name: "slow",
      schema: z.object({}),
      timeout: "30d",
      handler: () => new Promise((resolve) => setTimeout(() => resolve("done"), 50)),
    });
    const jobs = createSwitchyard({ backend: memory(), jobs: [slow], logger: silentLogger });
    const worker = jobs.work();
    const { id } = await jobs.enqueue(slow, {});
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("completed");
    expect((await jobs.get(id))?.result).toBe("done");
    await worker.stop();
  });

  it("a graceful stop with a 30-day timeout waits for the running job instead of aborting it", async () => {
    let aborted = false;
    let release!: () => void;
    const held = defineJob({
      name: "held",
      schema: z.object({}),
      handler: (_payload, ctx) =>
        new Promise<void>((resolve) => {
          release = resolve;
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
          });
        }),
    });
    const jobs = createSwitchyard({ backend: memory(), jobs: [held], logger: silentLogger });
    const worker = jobs.work();
    const { id } = await jobs.enqueue(held, {});
    await expect.poll(async () => (await jobs.get(id))?.state).toBe("active");
    const stopped = worker.stop({ graceful: true, timeout: "30d" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(aborted).toBe(false);
    release();
    await stopped;
    expect((await jobs.get(id))?.state).toBe("completed");
  });

  it("setLongTimeout chains past Node's 2^31-1 ms limit", async () => {
    let fired = false;
    const timer = setLongTimeout(
      () => {
        fired = true;
      },
      2 ** 31 + 10,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    timer.clear();
    expect(fired).toBe(false);
  });
});
