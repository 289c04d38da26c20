import { describe, expect, it } from "vitest";
import { LaneWakeUps } from "../src/lane-wake-ups.js";

describe("LaneWakeUps: whether a worker that took a lane's job wakes another", () => {
  it("never for a job outside any named queue", () => {
    expect(new LaneWakeUps(4).afterTaking(null)).toBe(false);
  });

  it("always when the definitions make several lanes", () => {
    const wakeUps = new LaneWakeUps(2);
    expect(wakeUps.afterTaking(7)).toBe(true);
    expect(wakeUps.afterTaking(7)).toBe(true);
  });

  it("not while a single lane's jobs run, then always once a second named queue shows up (keys)", () => {
    const wakeUps = new LaneWakeUps(1);
    expect(wakeUps.afterTaking(7)).toBe(false);
    expect(wakeUps.afterTaking(7)).toBe(false);
    expect(wakeUps.afterTaking(8)).toBe(true);
    expect(wakeUps.afterTaking(7)).toBe(true);
  });
});
