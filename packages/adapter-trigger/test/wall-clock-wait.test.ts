// A suspended run's in-process wait ends once the wall clock (what core's sleep step reads) has
// reached the due time, not when a timer set for it fires: timers may fire a little early.
import { afterEach, describe, expect, it, vi } from "vitest";
import { wallClockReached } from "../src/wall-clock-wait.js";

afterEach(() => vi.restoreAllMocks());

describe("wallClockReached", () => {
  it("resolves only once Date.now() has reached the time, when the wall clock runs behind the timers", async () => {
    const realNow = Date.now.bind(Date);
    const start = realNow();
    // A wall clock that advances at half the timers' pace: a timer set for the time left fires early.
    vi.spyOn(Date, "now").mockImplementation(() => start + (realNow() - start) / 2);
    const until = Date.now() + 40;
    await wallClockReached(until);
    expect(Date.now()).toBeGreaterThanOrEqual(until);
  });

  it("resolves at once for a time already past", async () => {
    const started = performance.now();
    await wallClockReached(Date.now() - 1);
    expect(performance.now() - started).toBeLessThan(20);
  });
});
