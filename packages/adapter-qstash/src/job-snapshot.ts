import { JOB_CANCELLED_ERROR_CODE, type JobError, type JobSnapshot, type JobState } from "@switchyard/core";
import type { Log, Message } from "@upstash/qstash";
import { type AttemptReport, parseAttemptReport } from "./attempt-response.js";
import { parseCarriedBody } from "./continuation.js";
import { deliveryTarget } from "./destination-url.js";
import { parseStoredBody, storedBodyText } from "./stored-body.js";

/**
 * A log entry as `GET /v2/events` returns it: the SDK's `Log` plus the fields of the API's LogEntry it
 * does not type (upstash/docs qstash/openapi.yaml): the response of an ERROR entry (body base64) and
 * the message's retries.
 */
export type LogRecord = Log & {
  responseStatus?: number;
  responseBody?: string;
  maxRetries?: number;
};

/** A dead-letter entry as `GET /v2/dlq` returns it (Message plus the last response). */
export type DeadLetter = Message & {
  dlqId: string;
  responseStatus?: number;
  responseBody?: string;
  responseBodyBase64?: string;
};

/**
 * One job's state from QStash's log of one message (newest entry first), the message itself while it is
 * in flight, and its dead-letter entry once it failed. QStash states map as:
 * CREATED → waiting (delayed while before its not-before time), ACTIVE → active, ERROR → waiting
 * (between attempts), RETRY → delayed until the next delivery, DELIVERED → completed, FAILED → failed
 * (cancelled when the handler answered that the job cancelled itself), CANCELLED → cancelled.
 * CANCEL_REQUESTED is logged when a cancel is received, and CANCELLED only at the message's next
 * delivery time (qstash/howto/debug-logs.mdx, "Lifecycle of a Message"): after a waiting state it
 * means cancelled, at once; right after ACTIVE, the call in flight goes on (it is not interrupted),
 * so the job is active until it ends. A cancelled job's error is SWITCHYARD_JOB_CANCELLED, never an
 * earlier attempt's failure.
 */
export function toJobSnapshot(
  id: string,
  entries: ReadonlyArray<LogRecord>,
  extras: { message?: Message; deadLetter?: DeadLetter; maxAttempts?: number; now?: number } = {},
): JobSnapshot | undefined {
  const latest = entries[0];
  const url = latest?.url ?? extras.message?.url ?? extras.deadLetter?.url;
  const target = url === undefined ? undefined : deliveryTarget(url);
  if (!target) return undefined;
  const now = extras.now ?? Date.now();
  const lastError = entries.find((entry) => entry.state === "ERROR");
  const report =
    deadLetterReport(extras.deadLetter) ??
    parseAttemptReport(storedBodyText(undefined, lastError?.responseBody));
  const count = (state: string) => entries.filter((entry) => entry.state === state).length;
  const delivered = count("DELIVERED") > 0;
  const attempts = Math.max(count("ACTIVE"), count("ERROR") + (delivered ? 1 : 0), report?.attempt ?? 0);
  const maxRetries =
    entries.find((entry) => typeof entry.maxRetries === "number")?.maxRetries ??
    extras.message?.maxRetries ??
    extras.deadLetter?.maxRetries;
  const created = entries.findLast((entry) => entry.state === "CREATED");

  let state: JobState;
  let runAt: number | undefined;
  switch (latest?.state as string | undefined) {
    case "DELIVERED":
      state = "completed";
      break;
    case "FAILED":
      state = report?.status === "cancelled" ? "cancelled" : "failed";
      break;
    case "CANCELLED":
    case "CANCELED":
      state = "cancelled";
      break;
    case "ACTIVE":
    case "IN_PROGRESS":
      state = "active";
      break;
    case "CANCEL_REQUESTED":
      state = RUNNING.has(entries[1]?.state ?? "") ? "active" : "cancelled";
      break;
    case "RETRY":
      runAt = latest?.nextDeliveryTime;
      state = runAt !== undefined && runAt > now ? "delayed" : "waiting";
      break;
    default: {
      runAt = extras.message?.notBefore;
      state = runAt !== undefined && runAt > now ? "delayed" : "waiting";
    }
  }

  const snapshot: JobSnapshot = {
    id,
    name: target.job,
    state,
    payload: payloadOf(entries, extras),
    attempts,
    maxAttempts: maxRetries === undefined ? (extras.maxAttempts ?? attempts) : maxRetries + 1,
  };
  const error =
    state === "cancelled" ? cancellationError(id, report) : errorOf(report, lastError, extras.deadLetter);
  if (error && state !== "completed") snapshot.error = error;
  const createdAt = created?.time ?? extras.message?.createdAt;
  if (createdAt !== undefined) snapshot.createdAt = new Date(createdAt);
  if (state === "delayed" && runAt !== undefined) snapshot.runAt = new Date(runAt);
  if (["completed", "failed", "cancelled"].includes(state) && latest)
    snapshot.finishedAt = new Date(latest.time);
  return snapshot;
}

/** Log states of a message whose HTTP call is in flight. */
const RUNNING: ReadonlySet<string> = new Set(["ACTIVE", "IN_PROGRESS"]);

/** A cancelled job's error: the handler's own when the job cancelled itself, else the cancellation. */
function cancellationError(id: string, report: AttemptReport | undefined): JobError {
  if (report?.error?.code === JOB_CANCELLED_ERROR_CODE) return report.error;
  return { message: `job ${id} was cancelled`, code: JOB_CANCELLED_ERROR_CODE };
}

/** A dead-lettered job as `listFailed` reports it (its state is failed, or cancelled by its handler). */
export function toJobSnapshotFromDeadLetter(deadLetter: DeadLetter): JobSnapshot | undefined {
  const target = deliveryTarget(deadLetter.url);
  if (!target) return undefined;
  const report = deadLetterReport(deadLetter);
  const body = parseStoredBody(deadLetter.body, deadLetter.bodyBase64);
  // A job that failed in a continuation: its payload and first attempt are in the carried body.
  const carried = target.run === undefined ? undefined : parseCarriedBody(body);
  // A child's result record that could not be delivered: the child completed, nothing failed.
  if (carried?.switchyard === "result") return undefined;
  const maxAttempts = (deadLetter.maxRetries ?? 0) + (carried?.attempt ?? 1);
  const snapshot: JobSnapshot = {
    id: target.run ?? target.retryOf ?? deadLetter.messageId,
    name: target.job,
    state: report?.status === "cancelled" ? "cancelled" : "failed",
    payload: carried ? carried.payload : body,
    attempts: report?.attempt ?? maxAttempts,
    maxAttempts,
  };
  if (carried?.switchyard === "continuation" && carried.steps.length > 0) {
    snapshot.steps = carried.steps.map(([id]) => id);
  }
  const error =
    snapshot.state === "cancelled"
      ? cancellationError(snapshot.id, report)
      : errorOf(report, undefined, deadLetter);
  if (error) snapshot.error = error;
  if (deadLetter.createdAt) snapshot.createdAt = new Date(deadLetter.createdAt);
  // DLQ ids start with the time the message was dead-lettered, e.g. "1725323658779-0" (features/callbacks.mdx).
  const failedAt = /^(\d{13})-/.exec(deadLetter.dlqId)?.[1];
  if (failedAt) snapshot.finishedAt = new Date(Number(failedAt));
  return snapshot;
}

/** What the handler answered on a dead-lettered job's last attempt, when it was this adapter's handler. */
export function deadLetterReport(deadLetter: DeadLetter | undefined): AttemptReport | undefined {
  if (!deadLetter) return undefined;
  return parseAttemptReport(storedBodyText(deadLetter.responseBody, deadLetter.responseBodyBase64));
}

function errorOf(
  report: AttemptReport | undefined,
  lastError: LogRecord | undefined,
  deadLetter: DeadLetter | undefined,
): JobError | undefined {
  if (report?.error) return report.error;
  if (lastError?.error) return { message: lastError.error };
  if (deadLetter?.responseStatus !== undefined) return { message: `HTTP ${deadLetter.responseStatus}` };
  return undefined;
}

function payloadOf(
  entries: ReadonlyArray<LogRecord>,
  extras: { message?: Message; deadLetter?: DeadLetter },
): unknown {
  if (extras.message) {
    const payload = parseStoredBody(extras.message.body, extras.message.bodyBase64);
    if (payload !== undefined) return payload;
  }
  if (extras.deadLetter) {
    const payload = parseStoredBody(extras.deadLetter.body, extras.deadLetter.bodyBase64);
    if (payload !== undefined) return payload;
  }
  for (const entry of entries) {
    // Base64 per the API reference; read as plain JSON too, in case it is not encoded.
    const payload = parseStoredBody(undefined, entry.body) ?? parseStoredBody(entry.body);
    if (payload !== undefined) return payload;
  }
  return undefined;
}
