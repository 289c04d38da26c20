import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, DEFAULT_RETRY_POLICY, defineJob } from "../src/index.js";

const base = { schema: z.object({ n: z.number() }), handler: () => {} };

function configError(make: () => unknown): ConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe("SWITCHYARD_CONFIG");
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("defineJob", () => {
  it("fills in the default retry policy", () => {
    const job = defineJob({ ...base, name: "a" });
    expect(job.retry).toEqual(DEFAULT_RETRY_POLICY);
    expect(job.retry.maxAttempts).toBe(3);
  });

  it("resolves durations and schedules", () => {
    const job = defineJob({
      ...base,
      name: "report.daily",
      retry: { maxAttempts: 5, backoff: { type: "exponential", delay: "2s", max: "1m" }, jitter: 0.1 },
      timeout: "30s",
      idempotencyTtl: "1h",
      schedule: [
        { cron: "0 2 * * *", timezone: "Europe/Paris", payload: { n: 1 } },
        { every: "10m", payload: { n: 2 } },
      ],
    });
    expect(job.retry).toEqual({
      maxAttempts: 5,
      backoff: { type: "exponential", delayMs: 2_000, factor: 2, maxMs: 60_000 },
      jitter: 0.1,
    });
    expect(job.timeoutMs).toBe(30_000);
    expect(job.idempotencyTtlMs).toBe(3_600_000);
    expect(job.schedules.map((s) => s.id)).toEqual(["report.daily", "report.daily:1"]);
    expect(job.schedules[1]).toMatchObject({ everyMs: 600_000, payload: { n: 2 } });
  });

  it.each([-1, 0, 1.5, Number.NaN, "3", null])(
    "rejects maxAttempts %s with a message naming it",
    (maxAttempts) => {
      const error = configError(() =>
        defineJob({ ...base, name: "a", retry: { maxAttempts: maxAttempts as number } }),
      );
      expect(error.message).toContain("retry.maxAttempts");
      expect(error.message).toContain("positive integer");
    },
  );

  it("rejects an invalid cron at definition, quoting it", () => {
    expect(
      configError(() => defineJob({ ...base, name: "a", schedule: { cron: "61 * * * *" } })).message,
    ).toContain("61 * * * *");
    expect(
      configError(() => defineJob({ ...base, name: "a", schedule: { cron: "* * *" } })).message,
    ).toContain("5 fields");
  });

  it("rejects an unknown time zone at definition, naming it", () => {
    const error = configError(() =>
      defineJob({ ...base, name: "a", schedule: { cron: "0 9 * * *", timezone: "Mars/Olympus" } }),
    );
    expect(error.message).toContain("Mars/Olympus");
    expect(error.message).toContain("IANA");
  });

  it("rejects other bad settings", () => {
    configError(() => defineJob({ ...base, name: "has space" }));
    configError(() => defineJob({ ...base, name: "a", schedule: { cron: "* * * * *", every: "1m" } }));
    configError(() => defineJob({ ...base, name: "a", schedule: {} }));
    configError(() => defineJob({ ...base, name: "a", retry: { jitter: 2 } }));
    configError(() =>
      defineJob({ ...base, name: "a", retry: { backoff: { type: "fixed", delay: "soon" as "1s" } } }),
    );
    configError(() =>
      defineJob({ ...base, name: "a", retry: { backoff: { type: "linear" as "fixed", delay: "1s" } } }),
    );
    configError(() =>
      defineJob({
        ...base,
        name: "a",
        retry: { backoff: { type: "exponential", delay: "1s", factor: 0.5 } },
      }),
    );
    configError(() => defineJob({ ...base, name: "a", concurrency: 0 }));
    configError(() => defineJob({ ...base, name: "a", schema: {} as never }));
    configError(() =>
      defineJob({
        ...base,
        name: "a",
        schedule: [
          { cron: "* * * * *", id: "x" },
          { cron: "0 * * * *", id: "x" },
        ],
      }),
    );
  });
});
