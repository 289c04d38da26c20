// A smoke run against a real Trigger.dev project: the jobs of test/project run in the Trigger.dev
// CLI's worker (`npx trigger.dev@4.8.3 dev` in test/project), and this process enqueues and
// inspects them through the adapter. The conformance kit cannot run there: its handlers live in
// the test process, and Trigger.dev only runs code it has indexed from a project. Not run in CI.
import { describe, expect, it } from "vitest";

const configured = Boolean(process.env.TRIGGER_SECRET_KEY?.trim());
const title = configured
  ? `the test/project jobs on Trigger.dev (${process.env.TRIGGER_API_URL ?? "https://api.trigger.dev"})`
  : "the test/project jobs on Trigger.dev [skipped: TRIGGER_SECRET_KEY is not set; see the README, Running against a real project]";
const TIMEOUT_MS = 180_000;

type Project = typeof import("./project/src/jobs.js");

async function project(): Promise<Project> {
  return import("./project/src/jobs.js");
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function finished(jobs: Project["jobs"], id: string) {
  return until(`job ${id} to finish`, async () => {
    const snapshot = await jobs.get(id);
    return snapshot && ["completed", "failed", "cancelled"].includes(snapshot.state) && snapshot;
  });
}

describe.skipIf(!configured)(title, { timeout: TIMEOUT_MS }, () => {
  const tag = `${Date.now().toString(36)}`;

  it("runs a job and keeps its result", async () => {
    const { jobs, echo } = await project();
    const { id, deduplicated } = await jobs.enqueue(echo, { text: `hello ${tag}` });
    expect(deduplicated).toBe(false);
    expect(await finished(jobs, id)).toMatchObject({
      state: "completed",
      result: { echoed: `hello ${tag}` },
      attempts: 1,
    });
  });

  it("retries with the job's policy and counts every attempt", async () => {
    const { jobs, flaky } = await project();
    const { id } = await jobs.enqueue(flaky, { failures: 2 });
    expect(await finished(jobs, id)).toMatchObject({
      state: "completed",
      result: { attempt: 3 },
      attempts: 3,
    });
  });

  it("fails a PermanentError at once, with its code, and lists it as failed", async () => {
    const { jobs, permanent } = await project();
    const { id } = await jobs.enqueue(permanent, { reason: `gone ${tag}` });
    const snapshot = await finished(jobs, id);
    expect(snapshot).toMatchObject({ state: "failed", attempts: 1, error: { code: "SWITCHYARD_PERMANENT" } });
    const failed = await until("the job in listFailed", async () => {
      const list = await jobs.listFailed({ job: permanent.name });
      return list.some((entry) => entry.id === id) && list;
    });
    expect(failed.find((entry) => entry.id === id)?.payload).toEqual({ reason: `gone ${tag}` });
  });

  it("deduplicates by idempotency key", async () => {
    const { jobs, echo } = await project();
    const first = await jobs.enqueue(
      echo,
      { text: "once" },
      { idempotencyKey: `live-${tag}`, idempotencyTtl: "1h" },
    );
    const second = await jobs.enqueue(echo, { text: "twice" }, { idempotencyKey: `live-${tag}` });
    expect(second).toEqual({ id: first.id, deduplicated: true });
  });

  it("holds a delayed job and cancels it", async () => {
    const { jobs, echo } = await project();
    const { id } = await jobs.enqueue(echo, { text: "later" }, { delay: "10m" });
    expect((await jobs.get(id))?.state).toBe("delayed");
    expect(await jobs.cancel(id)).toBe(true);
    expect((await jobs.get(id))?.state).toBe("cancelled");
  });

  it("shows the progress of a running job", async () => {
    const { jobs, slow } = await project();
    const { id } = await jobs.enqueue(slow, { ms: 20_000 });
    const progress = await until("progress", async () => (await jobs.get(id))?.progress);
    expect(progress).toEqual({ step: "sleeping" });
    expect(await finished(jobs, id)).toMatchObject({ state: "completed", progress: 100 });
  });

  it("creates, lists and removes a schedule, next to the declared one", async () => {
    const { jobs, echo } = await project();
    const id = `live-${tag}`;
    await jobs.schedules.upsert(echo, {
      id,
      cron: "0 0 1 1 *",
      timezone: "Asia/Kathmandu",
      payload: { text: "new year" },
    });
    const listed = await jobs.schedules.list();
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id,
          job: echo.name,
          timezone: "Asia/Kathmandu",
          payload: { text: "new year" },
        }),
        expect.objectContaining({ id: "live.report", job: "live.report", timezone: "Europe/Paris" }),
      ]),
    );
    expect(await jobs.schedules.remove(id)).toBe(true);
    expect((await jobs.schedules.list()).some((entry) => entry.id === id)).toBe(false);
  });
});
