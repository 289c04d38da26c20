// Issue 14 item 7: on the memory backend (the reference), `every` periods are fixed from the upsert,
// whatever workers come and go, and fires missed while no worker ran are caught up once, as BullMQ
// and PostgreSQL do.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type Backend,
  createSwitchyard,
  defineJob,
  ManualClock,
  memory,
  silentLogger,
} from "../src/index.js";

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 0, 0, 0));
  const start = clock.now();
  const fires: number[] = [];
  const job = defineJob({
    name: "tick",
    schema: z.object({}),
    schedule: { every: "4s" },
    handler: () => void fires.push(clock.now() - start),
  });
  const jobs = createSwitchyard({ backend: memory({ clock }), jobs: [job], logger: silentLogger });
  return { clock, fires, jobs };
}

describe("memory schedules", () => {
  it("keeps every-periods when workers stop and start: a 4 s schedule fires 3 times in 12 s", async () => {
    const { clock, fires, jobs } = setup();
    let worker = jobs.work();
    await worker.ready;
    for (let second = 1; second <= 12; second++) {
      // A worker leaves and another joins every 3 s (a rolling deploy).
      if (second % 3 === 0) {
        await worker.stop();
        worker = jobs.work();
        await worker.ready;
      }
      await clock.advance(1_000);
    }
    expect(fires).toEqual([4_000, 8_000, 12_000]);
    await worker.stop();
  });

  it("catches up once for the fires missed while no worker ran", async () => {
    const { clock, fires, jobs } = setup();
    const worker = jobs.work();
    await worker.ready;
    await clock.advance(1_000);
    await worker.stop();
    await clock.advance(9_000); // 4 s and 8 s are missed
    const next = jobs.work();
    await next.ready;
    await clock.advance(0);
    expect(fires).toEqual([10_000]);
    await clock.advance(2_000);
    expect(fires).toEqual([10_000, 12_000]);
    await next.stop();
  });
});

describe("declared schedules", () => {
  it("a sync removes a declared schedule no job declares any more, and leaves imperative ones", async () => {
    const schema = z.object({});
    const declaring = defineJob({
      name: "report",
      schema,
      schedule: [
        { id: "a", every: "1h" },
        { id: "b", every: "2h" },
      ],
      handler() {},
    });
    const backend = memory();
    const jobs = createSwitchyard({ backend, jobs: [declaring], logger: silentLogger });
    await jobs.schedules.sync();
    await jobs.schedules.upsert(declaring, { id: "adhoc", every: "3h" });
    expect((await jobs.schedules.list()).map((s) => [s.id, s.declared])).toEqual([
      ["a", true],
      ["b", true],
      ["adhoc", false],
    ]);
    // The same store seen by the next deploy, where schedule "b" was deleted from the code. (A memory
    // backend serves one client; this view of it only forwards the schedule calls.)
    const shrunk = defineJob({ name: "report", schema, schedule: [{ id: "a", every: "1h" }], handler() {} });
    const sameStore: Backend = {
      capabilities: backend.capabilities,
      attach: () => {},
      enqueue: (requests) => backend.enqueue(requests),
      get: (id) => backend.get(id),
      cancel: (id) => backend.cancel(id),
      retry: (id) => backend.retry(id),
      listFailed: (options) => backend.listFailed(options),
      upsertSchedule: (entry, options) => backend.upsertSchedule(entry, options),
      removeSchedule: (id) => backend.removeSchedule(id),
      listSchedules: () => backend.listSchedules(),
      work: (options) => backend.work!(options),
      close: async () => {},
    };
    const redeployed = createSwitchyard({ backend: sameStore, jobs: [shrunk], logger: silentLogger });
    await redeployed.schedules.sync();
    expect((await redeployed.schedules.list()).map((s) => s.id)).toEqual(["a", "adhoc"]);
  });
});
