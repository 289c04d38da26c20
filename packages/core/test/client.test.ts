import { describe, expect, it } from "vitest";
import { z } from "zod";
import { featureTable, memoryCapabilities } from "../src/adapter.js";
import {
  type Backend,
  createSwitchyard,
  defineJob,
  memory,
  NotSupportedError,
  silentLogger,
  ValidationError,
} from "../src/index.js";

const email = defineJob({
  name: "email.send",
  schema: z.object({ to: z.email(), subject: z.string().min(1) }),
  handler: () => {},
});

/** A memory backend that claims fewer features, to test that the client fails closed. */
function limitedBackend(): Backend & { enqueued: number } {
  const inner = memory();
  const limited = Object.create(inner) as Backend & { enqueued: number };
  Object.defineProperty(limited, "capabilities", {
    value: {
      ...memoryCapabilities,
      backend: "limited",
      features: featureTable({
        "enqueue.bulk": "native",
        "jobs.get": "native",
        "retry.backoff.exponential": "native",
      }),
    },
  });
  limited.enqueued = 0;
  limited.attach = (runtime) => inner.attach(runtime);
  limited.enqueue = async (requests) => {
    limited.enqueued += requests.length;
    return inner.enqueue(requests);
  };
  return limited;
}

describe("createSwitchyard", () => {
  it("uses the memory backend when none is given", () => {
    const jobs = createSwitchyard({ jobs: [email], logger: silentLogger });
    expect(jobs.capabilities.backend).toBe("memory");
  });

  it("names its registered jobs in jobNames, in the order given", () => {
    const report = defineJob({ name: "report.build", schema: z.object({}), handler: () => {} });
    const jobs = createSwitchyard({ jobs: [report, email], logger: silentLogger });
    expect(jobs.jobNames).toEqual(["report.build", "email.send"]);
    expect(Object.isFrozen(jobs.jobNames)).toBe(true);
  });

  it("rejects a bad payload with the schema issues and enqueues nothing", async () => {
    const backend = limitedBackend();
    const jobs = createSwitchyard({ backend, jobs: [email], logger: silentLogger });
    const error = await jobs.enqueue(email, { to: "nope", subject: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const validation = error as ValidationError;
    expect(validation.code).toBe("SWITCHYARD_VALIDATION");
    expect(validation.jobName).toBe("email.send");
    expect(validation.issues.map((issue) => issue.path)).toEqual([["to"], ["subject"]]);
    expect(validation.message).toMatch(/invalid payload for job "email.send": to: .+; subject: .+/);
    expect(backend.enqueued).toBe(0);
  });

  it("throws NotSupportedError naming backend and option before anything is enqueued", async () => {
    const backend = limitedBackend();
    const jobs = createSwitchyard({ backend, jobs: [email], logger: silentLogger });
    const payload = { to: "a@example.com", subject: "hi" };
    for (const options of [
      { delay: "1s" as const },
      { priority: 1 },
      { idempotencyKey: "k" },
      { runAt: new Date(Date.now() + 1000) },
    ]) {
      const error = await jobs.enqueue(email, payload, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotSupportedError);
      expect((error as NotSupportedError).backend).toBe("limited");
      expect((error as Error).message).toMatch(
        /^the limited backend does not support enqueue option|idempotency/,
      );
    }
    await expect(jobs.schedules.upsert(email, { cron: "* * * * *", payload })).rejects.toThrow(
      NotSupportedError,
    );
    await expect(jobs.cancel("x")).rejects.toThrow("does not support cancel(id)");
    expect(backend.enqueued).toBe(0);
  });

  it("refuses at creation a job whose settings the backend cannot honour", () => {
    const timed = defineJob({ name: "timed", schema: z.object({}), timeout: "1s", handler: () => {} });
    expect(() => createSwitchyard({ backend: limitedBackend(), jobs: [timed] })).toThrow(
      'the limited backend does not support job "timed": timeout',
    );
    const jittery = defineJob({
      name: "jittery",
      schema: z.object({}),
      retry: { jitter: 0.2 },
      handler: () => {},
    });
    expect(() => createSwitchyard({ backend: limitedBackend(), jobs: [jittery] })).toThrow(NotSupportedError);
  });

  it("rejects an unregistered job, duplicate names and contradictory options with ConfigError", async () => {
    const jobs = createSwitchyard({ jobs: [email], logger: silentLogger });
    const other = defineJob({ name: "other", schema: z.object({}), handler: () => {} });
    await expect(jobs.enqueue(other, {})).rejects.toMatchObject({ code: "SWITCHYARD_CONFIG" });
    expect(() => createSwitchyard({ jobs: [email, email] })).toThrow("two jobs are named");
    await expect(
      jobs.enqueue(email, { to: "a@example.com", subject: "s" }, { delay: "1s", runAt: new Date() }),
    ).rejects.toMatchObject({ code: "SWITCHYARD_CONFIG", message: expect.stringContaining("not both") });
    await expect(
      jobs.enqueue(email, { to: "a@example.com", subject: "s" }, { delay: "-1s" as "1s" }),
    ).rejects.toMatchObject({
      code: "SWITCHYARD_CONFIG",
    });
  });

  it("enqueueMany validates everything first and names the bad index", async () => {
    const backend = limitedBackend();
    const jobs = createSwitchyard({ backend, jobs: [email], logger: silentLogger });
    const error = await jobs
      .enqueueMany(email, [
        { to: "a@example.com", subject: "1" },
        { to: "bad", subject: "2" },
      ])
      .catch((e: unknown) => e);
    expect((error as ValidationError).issues[0]?.path).toEqual([1, "to"]);
    expect(backend.enqueued).toBe(0);
  });

  it("says which call to use on the wrong execution model", () => {
    const jobs = createSwitchyard({ jobs: [email], logger: silentLogger });
    expect(() => jobs.handler()).toThrow("it is a pull backend: start jobs.work() instead");
  });
});
