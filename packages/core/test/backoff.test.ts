import { describe, expect, it } from "vitest";
import { backoffDelay, resolveRetryPolicy } from "../src/adapter.js";

const policy = (retry: Parameters<typeof resolveRetryPolicy>[0]) => resolveRetryPolicy(retry, "test");

describe("backoffDelay", () => {
  it("keeps a fixed delay on every retry", () => {
    const fixed = policy({ backoff: { type: "fixed", delay: "2s" } });
    expect([1, 2, 5].map((retry) => backoffDelay(fixed, retry, () => 0))).toEqual([2_000, 2_000, 2_000]);
  });

  it("multiplies an exponential delay by the factor and caps it at max", () => {
    const exponential = policy({ backoff: { type: "exponential", delay: "1s", factor: 3, max: "10s" } });
    expect([1, 2, 3, 4].map((retry) => backoffDelay(exponential, retry, () => 0))).toEqual([
      1_000, 3_000, 9_000, 10_000,
    ]);
  });

  it("uses factor 2 by default", () => {
    const exponential = policy({ backoff: { type: "exponential", delay: 100 } });
    expect([1, 2, 3].map((retry) => backoffDelay(exponential, retry, () => 0))).toEqual([100, 200, 400]);
  });

  it("only shortens a delay with jitter, by at most the jitter fraction", () => {
    const jittered = policy({ backoff: { type: "fixed", delay: "1s" }, jitter: 0.25 });
    expect(backoffDelay(jittered, 1, () => 0)).toBe(1_000);
    expect(backoffDelay(jittered, 1, () => 0.999999)).toBe(750);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(jittered, 1);
      expect(delay).toBeGreaterThanOrEqual(750);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
  });
});
