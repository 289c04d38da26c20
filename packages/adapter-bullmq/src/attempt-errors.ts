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
 * BullMQ stores a failure as its message (`failedReason`) and its stack (`stacktrace`), not its name
 * or code. The stored stack starts with `<code>: <message>`, as Node prints any error whose name is
 * the code, and `errorCodeOf` reads the code back, whatever its characters ("42", "E_RATE"). An error
 * without a code starts with its message alone. The frames are the handler's own. The error's name is
 * the code too (for BullMQ's listeners), except the names BullMQ's worker obeys.
 */
function stamp(target: Error, error: JobError, cause: unknown): void {
  const { code } = error;
  target.name = code !== undefined && !BULLMQ_CONTROL_NAMES.has(code) ? code : "Error";
  const causeStack = cause instanceof Error && typeof cause.stack === "string" ? cause.stack : "";
  const frames = causeStack
    .split("\n")
    .filter((line) => line.startsWith("    at "))
    .join("\n");
  const head = code === undefined ? error.message : `${code}: ${error.message}`;
  target.stack = frames ? `${head}\n${frames}` : head;
}

/**
 * The error code of a job's last failure: what precedes `: <failedReason>` at the start of the last
 * stack trace BullMQ recorded. Undefined when the job has not failed, when the failure had no code,
 * or when the last trace is not of that failure (BullMQ failed the job itself, without a trace).
 */
export function errorCodeOf(job: {
  failedReason?: string;
  stacktrace?: ReadonlyArray<string> | null;
}): string | undefined {
  const { failedReason, stacktrace } = job;
  const last = stacktrace?.[stacktrace.length - 1];
  if (typeof last !== "string" || typeof failedReason !== "string") return undefined;
  const end = last.indexOf(`: ${failedReason}`);
  if (end < 1) return undefined;
  const code = last.slice(0, end);
  return code.includes("\n") ? undefined : code;
}
