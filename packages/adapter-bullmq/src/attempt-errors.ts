import type { JobError } from "@switchyard/core";
import { UnrecoverableError } from "bullmq";

// Names BullMQ's worker treats as instructions rather than failures (it matches them by name).
const BULLMQ_CONTROL_NAMES = new Set([
  "DelayedError",
  "WaitingError",
  "WaitingChildrenError",
  "RateLimitError",
]);

/**
 * Thrown by the processor when core decided to retry: BullMQ moves the job to `delayed` and counts the
 * attempt, and the adapter's backoff strategy returns `delayMs` (core's backoff, or a RetryAfterError's).
 */
export class AttemptRetryError extends Error {
  readonly delayMs: number;

  constructor(error: JobError, delayMs: number, cause: unknown) {
    super(error.message, { cause });
    this.delayMs = delayMs;
    stamp(this, error, cause);
  }
}

/**
 * Thrown by the processor when core decided the job is over (a permanent error, the last attempt, or a
 * cancellation): an UnrecoverableError, so BullMQ fails it whatever attempts are left.
 */
export class AttemptFailedError extends UnrecoverableError {
  constructor(error: JobError, cause?: unknown) {
    super(error.message);
    if (cause !== undefined) this.cause = cause;
    stamp(this, error, cause);
  }
}

/**
 * BullMQ stores a failure as its message (`failedReason`) and its stack (`stacktrace`). The error's
 * name is the Switchyard error code, so the stored stack starts with `<code>: <message>`, as Node
 * prints any error, and `errorCodeOf` reads the code back. The frames are the handler's own.
 */
function stamp(target: Error, error: JobError, cause: unknown): void {
  const code = error.code && !BULLMQ_CONTROL_NAMES.has(error.code) ? error.code : "Error";
  target.name = code;
  const causeStack = cause instanceof Error && typeof cause.stack === "string" ? cause.stack : "";
  const frames = causeStack
    .split("\n")
    .filter((line) => line.startsWith("    at "))
    .join("\n");
  target.stack = frames ? `${code}: ${error.message}\n${frames}` : `${code}: ${error.message}`;
}

/** The error code of the last failure BullMQ recorded for a job (from its last stack trace entry). */
export function errorCodeOf(stacktrace: ReadonlyArray<string> | null | undefined): string | undefined {
  const last = stacktrace?.[stacktrace.length - 1];
  if (typeof last !== "string") return undefined;
  const head = last.slice(0, last.indexOf("\n") === -1 ? last.length : last.indexOf("\n"));
  const colon = head.indexOf(": ");
  const code = colon === -1 ? head : head.slice(0, colon);
  return /^[A-Za-z_$][\w$.-]*$/.test(code) ? code : undefined;
}
