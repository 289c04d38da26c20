import { IDEMPOTENCY_WINDOW_MS } from "./inngest-capabilities.js";
import type { InngestRestClient } from "./inngest-rest-client.js";
import { eventsWithId } from "./job-lookup.js";

/**
 * Events this close to the end of Inngest's 24-hour window are left out: whether their claim on the
 * id still holds when the new event is processed cannot be known, and a wrong "duplicate" is the
 * error to avoid.
 */
const WINDOW_MARGIN_MS = 60_000;

export interface DeduplicationCheck {
  rest: InngestRestClient;
  jobName: string;
  /** The keyed job id, sent as the event's `id`. */
  id: string;
  /** The internal id `send` returned for the event just sent. */
  sentEventId: string;
  /** How long to wait for a run to show when it cannot be decided yet (runCreationWait). */
  waitMs: number;
  /** Waits `ms` (cut short by close()). */
  pause: (ms: number) => Promise<void>;
}

/**
 * Whether the keyed event just sent is a duplicate. Inngest starts one run per function per event id
 * within 24 h (https://www.inngest.com/docs/durable-execution/guides-and-advanced/idempotency): the
 * runner schedules a run with the event's id as its idempotency key
 * (G:pkg/execution/runner/runner.go:677-692). But the event API answers a duplicate like a new event,
 * with a new internal id ("Never use e.ID as the internal ID"; event idempotency "is currently
 * enforced when scheduling runs", G:pkg/event/legacy_types.go:13-34), and it answers before any run
 * exists: it publishes the event to a stream and returns (G:pkg/devserver/service.go:387-426). So the
 * answer is read from the other events sent with the same id:
 * - none in the window: a new job (false), at once;
 * - one of them started a run: a duplicate (true), at once;
 * - some exist but none has a run yet (sent moments ago, or before the app was synced): whichever
 *   of them, or the event just sent, gets a run first decides; false if none does within `waitMs`.
 * Runs are read through REST v2, which has no cache. `deduplicated` is thus never true for a new
 * job; it may be false for a duplicate whose earlier event the listing does not show (yet).
 */
export async function isDuplicate(check: DeduplicationCheck): Promise<boolean> {
  const { rest } = check;
  const since = new Date(Date.now() - IDEMPOTENCY_WINDOW_MS + WINDOW_MARGIN_MS);
  const others: string[] = [];
  for await (const event of eventsWithId(rest, check.jobName, check.id, since)) {
    if (event.internal_id !== check.sentEventId) others.push(event.internal_id);
  }
  if (others.length === 0) return false;
  const deadline = Date.now() + check.waitMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    for (const other of others) if ((await rest.eventRuns(other)).length > 0) return true;
    if ((await rest.eventRuns(check.sentEventId)).length > 0) return false;
    if (Date.now() + wait > deadline) return false;
    await check.pause(wait);
  }
}
