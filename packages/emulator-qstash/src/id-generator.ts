import { randomBytes } from "node:crypto";

/**
 * Identifiers shaped like QStash's: `msg_…` messages, `scd_…` schedules, `jwt_…` token ids
 * (qstash/features/security.mdx example), and `<unix ms>-<n>` DLQ ids (callbacks.mdx example
 * `"dlqId": "1725323658779-0"`). Callers must treat all of them as opaque strings.
 */
export function newMessageId(): string {
  return `msg_${randomBytes(24).toString("base64url")}`;
}

export function newScheduleId(): string {
  return `scd_${randomBytes(16).toString("base64url")}`;
}

export function newJwtId(): string {
  return `jwt_${randomBytes(16).toString("base64url")}`;
}

let dlqSequence = 0;

export function newDlqId(nowMs: number): string {
  dlqSequence += 1;
  return `${Math.floor(nowMs)}-${dlqSequence}`;
}
