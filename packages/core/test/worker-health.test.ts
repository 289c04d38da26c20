// Issue 17 item 6: a worker says whether it takes jobs and when it last ran one (liveness, readiness).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type Backend, createSwitchyard, defineJob, memory, silentLogger } from "../src/index.js";

describe("worker.health()", () => {
  it("goes starting → ready → stopping → stopped, and counts the attempts running", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow = defineJob({
      name: "slow",
      schema: z.object({}),
      handler: async () => {
        started();
        await gate;
      },
    });
    const jobs = createSwitchyard({ backend: memory(), jobs: [slow], logger: silentLogger });
    const before = Date.now();
    const worker = jobs.work();
    expect(worker.health()).toMatchObject({ status: "starting", takingJobs: false, running: 0 });
    expect(worker.health().lastAttemptStartedAt).toBeUndefined();
    await worker.ready;
    expect(worker.health()).toMatchObject({ status: "ready", takingJobs: true });
    expect(worker.health().startedAt.getTime()).toBeGreaterThanOrEqual(before);

    await jobs.enqueue(slow, {});
    await running;
    const busy = worker.health();
    expect(busy.running).toBe(1);
    expect(busy.lastAttemptStartedAt!.getTime()).toBeGreaterThanOrEqual(before);
    expect(busy.lastAttemptEndedAt).toBeUndefined();

    const stopping = worker.stop({ graceful: true });
    expect(worker.health()).toMatchObject({ status: "stopping", takingJobs: false, running: 1 });
    release();
    await stopping;
    const stopped = worker.health();
    expect(stopped).toMatchObject({ status: "stopped", takingJobs: false, running: 0 });
    expect(stopped.lastAttemptEndedAt!.getTime()).toBeGreaterThanOrEqual(
      busy.lastAttemptStartedAt!.getTime(),
    );
    await jobs.close();
  });

  it("says stopped when the backend stopped its worker on its own", async () => {
    const inner = memory();
    const ending = Object.create(inner) as Backend;
    let taking = true;
    ending.attach = (runtime) => inner.attach(runtime);
    ending.listSchedules = async () => [];
    ending.work = () => ({ ready: Promise.resolve(), stop: async () => {}, takingJobs: () => taking });
    const jobs = createSwitchyard({ backend: ending, jobs: [], logger: silentLogger });
    const worker = jobs.work();
    await worker.ready;
    expect(worker.health()).toMatchObject({ status: "ready", takingJobs: true });
    taking = false;
    expect(worker.health()).toMatchObject({ status: "stopped", takingJobs: false });
  });

  it("says failed when the worker cannot start", async () => {
    const inner = memory();
    const broken = Object.create(inner) as Backend;
    broken.attach = (runtime) => inner.attach(runtime);
    broken.work = () => ({
      ready: Promise.reject(new Error("server down")),
      stop: async () => {},
    });
    const jobs = createSwitchyard({ backend: broken, jobs: [], logger: silentLogger });
    const worker = jobs.work();
    await expect(worker.ready).rejects.toThrow("server down");
    expect(worker.health()).toMatchObject({ status: "failed", takingJobs: false });
  });
});
