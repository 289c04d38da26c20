import { createHash } from "node:crypto";

/** Every Switchyard event is named `switchyard/<job name>`: the trigger of the job's Inngest function. */
export const EVENT_NAME_PREFIX = "switchyard/";

/** The event Inngest starts an invoked function with (I:helpers/consts.js internalEvents.FunctionInvoked). */
export const INVOKED_EVENT = "inngest/function.invoked";

/** The event that enqueues `jobName`. */
export function eventNameFor(jobName: string): string {
  return `${EVENT_NAME_PREFIX}${jobName}`;
}

/** The job name of a Switchyard event name, or undefined for any other event. */
export function jobNameOf(eventName: string): string | undefined {
  return eventName.startsWith(EVENT_NAME_PREFIX) ? eventName.slice(EVENT_NAME_PREFIX.length) : undefined;
}

/**
 * The id of a job enqueued with an idempotency key, and the Inngest event id it is sent with:
 * `<job name>:<base64url SHA-256 of the key>`. Inngest starts one run per function per event id
 * within 24 h, so every enqueue with the key in that window gets this same id.
 */
export function keyedJobId(jobName: string, idempotencyKey: string): string {
  return `${jobName}:${createHash("sha256").update(idempotencyKey).digest("base64url")}`;
}

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const KEYED = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127}):([A-Za-z0-9_-]{43})$/;

/**
 * What a job id points at:
 * - `event`: a job enqueued without a key; its id is the Inngest event id `send` returned (a ULID),
 *   which the function also sees as `event.id`;
 * - `keyed`: a job enqueued with an idempotency key (see {@link keyedJobId});
 * - undefined: not an id this adapter hands out.
 */
export type JobIdRef = { kind: "event"; eventId: string } | { kind: "keyed"; jobName: string; id: string };

export function parseJobId(id: string): JobIdRef | undefined {
  if (ULID.test(id)) return { kind: "event", eventId: id.toUpperCase() };
  const keyed = KEYED.exec(id);
  return keyed ? { kind: "keyed", jobName: keyed[1] as string, id } : undefined;
}
