import type { JobSnapshot } from "@switchyard/core";
import { parseCarriedBody } from "./continuation.js";

/**
 * The snapshot of a job whose current message is a continuation or a child's result record, from the
 * snapshot of that message alone (whose payload is the carried body): the job's own payload, attempts
 * counted from the attempt the message carries, its steps, and when it was first enqueued.
 * A result record means the job completed, whatever its own delivery is doing.
 */
export function carriedSnapshot(message: JobSnapshot, createdAt?: Date): JobSnapshot {
  const carried = parseCarriedBody(message.payload);
  if (!carried) return message;
  const snapshot: JobSnapshot = { ...message, payload: carried.payload };
  if (createdAt) snapshot.createdAt = createdAt;
  if (carried.switchyard === "result") {
    snapshot.state = "completed";
    snapshot.attempts = carried.attempt;
    if (carried.result !== undefined) snapshot.result = carried.result;
    delete snapshot.error;
    delete snapshot.runAt;
    snapshot.finishedAt ??= message.createdAt ?? new Date();
    return snapshot;
  }
  // The message's own attempts are retries of the attempt it carries.
  snapshot.attempts = carried.attempt - 1 + message.attempts;
  snapshot.maxAttempts = carried.attempt - 1 + message.maxAttempts;
  if (carried.steps.length > 0) snapshot.steps = carried.steps.map(([id]) => id);
  return snapshot;
}
