import { describe, expect, it } from "vitest";
import { LaneWakeUps } from "../src/lane-wake-ups.js";

const noLocalQueue = { localQueue: false };

describe("LaneWakeUps: whether a worker that took a job wakes another", () => {
  it("yes in a pool whose definitions make several lanes", () => {
    const wakeUps = new LaneWakeUps([2], noLocalQueue);
    expect(wakeUps.shouldWakeAnother(7)).toBe(true);
    expect(wakeUps.shouldWakeAnother(7)).toBe(true);
  });

  it("yes, after any job, in a pool running a lane and jobs without a limit (their fetch hides the lane too)", () => {
    const wakeUps = new LaneWakeUps([1, undefined], noLocalQueue);
    expect(wakeUps.shouldWakeAnother(null)).toBe(true);
    expect(wakeUps.shouldWakeAnother(7)).toBe(true);
  });

  it("no while a single lane runs alone, yes once a second named queue shows up (concurrency keys)", () => {
    const wakeUps = new LaneWakeUps([1], noLocalQueue);
    expect(wakeUps.shouldWakeAnother(7)).toBe(false);
    expect(wakeUps.shouldWakeAnother(7)).toBe(false);
    expect(wakeUps.shouldWakeAnother(8)).toBe(true);
    expect(wakeUps.shouldWakeAnother(7)).toBe(true);
  });

  it("no in a pool without lanes, until a job of a named queue shows up (a limit stored by another deploy)", () => {
    const wakeUps = new LaneWakeUps([undefined], noLocalQueue);
    expect(wakeUps.shouldWakeAnother(null)).toBe(false);
    expect(wakeUps.shouldWakeAnother(7)).toBe(true);
  });

  it("never in a pool with a local queue", () => {
    const wakeUps = new LaneWakeUps([4, undefined], { localQueue: true });
    expect(wakeUps.shouldWakeAnother(7)).toBe(false);
    expect(wakeUps.shouldWakeAnother(8)).toBe(false);
    expect(wakeUps.shouldWakeAnother(null)).toBe(false);
  });
});
