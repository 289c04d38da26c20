import { describe, expect, it } from "vitest";
import { decideAttemptOutcome, resolveRetryPolicy } from "../src/adapter.js";
import { JobCancelledError, PermanentError, RetryAfterError, ValidationError } from "../src/index.js";

const policy = resolveRetryPolicy({ maxAttempts: 3, backoff: { type: "fixed", delay: "5s" } }, "test");

describe("decideAttemptOutcome (the one place that decides what an error does)", () => {
  it("retries an ordinary error after the policy's backoff while attempts remain", () => {
    expect(decideAttemptOutcome(new Error("x"), 1, 3, policy)).toMatchObject({
      type: "retry",
      delayMs: 5_000,
    });
    expect(decideAttemptOutcome(new Error("x"), 3, 3, policy)).toMatchObject({
      type: "failed",
      permanent: false,
    });
  });

  it("retries a RetryAfterError after its own delay, and the attempt counts", () => {
    expect(decideAttemptOutcome(new RetryAfterError("1500ms"), 1, 3, policy)).toMatchObject({
      type: "retry",
      delayMs: 1_500,
    });
    expect(decideAttemptOutcome(new RetryAfterError("1500ms"), 2, 3, policy)).toMatchObject({
      type: "retry",
    });
    // On the last attempt a RetryAfterError fails the job like any other error: it does not add attempts.
    expect(decideAttemptOutcome(new RetryAfterError("1500ms"), 3, 3, policy)).toMatchObject({
      type: "failed",
      permanent: false,
      error: { code: "SWITCHYARD_RETRY_AFTER" },
    });
  });

  it("accepts an absolute time for RetryAfterError", () => {
    const error = new RetryAfterError(new Date(Date.now() + 60_000));
    expect(error.delayMs).toBeGreaterThan(59_000);
    expect(error.delayMs).toBeLessThanOrEqual(60_000);
  });

  it("fails at once on PermanentError and ValidationError, whatever attempts remain", () => {
    expect(decideAttemptOutcome(new PermanentError("gone"), 1, 3, policy)).toMatchObject({
      type: "failed",
      permanent: true,
      error: { message: "gone", code: "SWITCHYARD_PERMANENT" },
    });
    const invalid = new ValidationError("job", [{ message: "bad", path: ["a"] }]);
    expect(decideAttemptOutcome(invalid, 1, 3, policy)).toMatchObject({ type: "failed", permanent: true });
  });

  it("cancels on JobCancelledError and never retries it", () => {
    expect(decideAttemptOutcome(new JobCancelledError("stop"), 1, 3, policy)).toMatchObject({
      type: "cancelled",
    });
  });

  it("recognises errors by code, so a second copy of core still counts", () => {
    const foreign = Object.assign(new Error("from another install"), { code: "SWITCHYARD_PERMANENT" });
    expect(decideAttemptOutcome(foreign, 1, 3, policy)).toMatchObject({ type: "failed", permanent: true });
  });

  it("summarises non-Error throws", () => {
    expect(decideAttemptOutcome("a string", 3, 3, policy)).toMatchObject({
      type: "failed",
      error: { message: "a string" },
    });
  });
});
